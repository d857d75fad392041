import { h } from '#jsx';
import type { PortalContext } from '../../../src/portal/context';
import { parseBody, RichText } from '../../../src/lib/markdown';
import { EmptyState } from '../../components/form';
import { Time } from '../../components/time';
import { PortalLayout, portalHref } from '../../layouts/portal';
import { PageHeader } from '../../layouts/admin';
import type { Announcement } from '../notify/shared';
import { OffsetPager } from '../notify/staff';

const windowText = (a: Announcement) => (a.kind === 'maintenance' ? 'Maintenance' : 'Announcement');

function WindowLine(props: { a: Announcement; timezone: string }) {
  const { a } = props;
  if (a.kind !== 'maintenance' || a.startsAt === null || a.endsAt === null) return null;
  return (
    <p class="announcement-window">
      Planned maintenance from <Time ms={a.startsAt} timezone={props.timezone} /> to <Time ms={a.endsAt} timezone={props.timezone} />. Alerts for the affected units are paused
      and the downtime is recorded as planned.
    </p>
  );
}

/** The dismissible banner (loaded by htmx into every portal page). */
export function AnnouncementBanner(props: { portal: PortalContext; items: Announcement[] }) {
  const { portal } = props;
  if (props.items.length === 0) return <div id="announcement-banner"></div>;
  return (
    <div id="announcement-banner" class="announcement-banner-list">
      {props.items.map((a) => (
        <section class={`announcement-banner announcement-banner-${a.kind}`} aria-label={windowText(a)} data-testid="announcement-banner" id={`banner-${a.id}`}>
          <div class="announcement-banner-text">
            <strong>{windowText(a)}:</strong> <a href={portalHref(portal, `/announcements/${a.id}`)}>{a.subject}</a>
            <WindowLine a={a} timezone={portal.host.timezone} />
          </div>
          {!portal.preview && (
            <form method="post" action={portalHref(portal, `/announcements/${a.id}/dismiss`)} hx-post={portalHref(portal, `/announcements/${a.id}/dismiss`)} hx-target={`#banner-${a.id}`} hx-swap="outerHTML">
              <button type="submit" class="btn btn-small" aria-label={`Dismiss: ${a.subject}`}>
                Dismiss
              </button>
            </form>
          )}
        </section>
      ))}
    </div>
  );
}

export function PortalAnnouncementsPage(props: { portal: PortalContext; items: Announcement[]; total: number; page: number; pageSize: number }) {
  const { portal } = props;
  return (
    <PortalLayout portal={portal} title="Announcements" section="announcements">
      <PageHeader title="Announcements" subtitle={`News and maintenance notices from ${portal.host.name}.`} />
      {props.items.length === 0 ? (
        <EmptyState title="No announcements yet" />
      ) : (
        <ul class="announcement-list">
          {props.items.map((a) => (
            <li data-announcement-id={a.id}>
              <a href={portalHref(portal, `/announcements/${a.id}`)}>{a.subject}</a>
              <span class="muted small">
                {' '}
                · {windowText(a)} · <Time ms={a.startedAt ?? a.sendAt} timezone={portal.host.timezone} />
              </span>
            </li>
          ))}
        </ul>
      )}
      <OffsetPager total={props.total} page={props.page} pageSize={props.pageSize} href={(page) => portalHref(portal, `/announcements?page=${page}`)} noun="announcements" />
    </PortalLayout>
  );
}

export function PortalAnnouncementPage(props: { portal: PortalContext; announcement: Announcement }) {
  const { portal, announcement: a } = props;
  return (
    <PortalLayout portal={portal} title={a.subject} section="announcements">
      <p>
        <a href={portalHref(portal, '/announcements')}>← All announcements</a>
      </p>
      <PageHeader title={a.subject} subtitle={<Time ms={a.startedAt ?? a.sendAt} timezone={portal.host.timezone} />} />
      <WindowLine a={a} timezone={portal.host.timezone} />
      <article class="card">
        <RichText blocks={parseBody(a.body, a.format)} headingBase={2} />
      </article>
    </PortalLayout>
  );
}
