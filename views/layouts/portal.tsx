import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { PortalContext } from '../../src/portal/context';
import type { DefaultBanner } from '../../src/default/banner';
import { formatMoney } from '../../src/lib/format';
import { Time, TimezoneNote } from '../components/time';
import { BaseLayout } from './base';

/** Portal sections, in menu order. */
export const PORTAL_NAV = [
  { key: 'dashboard', label: 'Dashboard', path: '/' },
  { key: 'equipment', label: 'Equipment', path: '/equipment' },
  { key: 'usage', label: 'Usage', path: '/usage' },
  { key: 'invoices', label: 'Invoices', path: '/invoices' },
  { key: 'alerts', label: 'Alerts', path: '/alerts' },
  { key: 'announcements', label: 'News', path: '/announcements' },
  { key: 'support', label: 'Support', path: '/support' },
  { key: 'team', label: 'Team', path: '/team' },
  { key: 'profile', label: 'Profile', path: '/profile' },
] as const;
export type PortalSection = (typeof PORTAL_NAV)[number]['key'];

/** A link inside the portal, whichever mount it is served from. */
export const portalHref = (portal: PortalContext, path: string) => (path === '/' ? portal.base || '/' : `${portal.base}${path}`);

/**
 * Only the host's identity appears: its name, logo, slogan and colours (served as a stylesheet,
 * since the CSP allows no inline styles). Hashyard's own name never shows in the portal.
 */
function BrandHead(props: { portal: PortalContext }) {
  const { host } = props.portal;
  return (
    <div class="portal-brand">
      {host.logoKey ? (
        <img class="portal-logo" src={`${portalHref(props.portal, '/brand/logo')}?v=${host.brandVersion}`} alt={`${host.name} logo`} width="48" height="48" />
      ) : (
        <span class="portal-logo portal-logo-initial" aria-hidden="true">
          {host.name.slice(0, 1).toUpperCase()}
        </span>
      )}
      <span class="portal-brand-text">
        <span class="portal-host-name" title={host.name}>
          {host.name}
        </span>
        {host.slogan && (
          <span class="portal-slogan" title={host.slogan}>
            {host.slogan}
          </span>
        )}
      </span>
    </div>
  );
}

function PortalBase(props: { portal: PortalContext; title: string; bodyClass: string; children: Child }) {
  return (
    <BaseLayout
      title={`${props.title} · ${props.portal.host.name}`}
      bodyClass={props.bodyClass}
      stylesheets={[`${portalHref(props.portal, '/brand.css')}?v=${props.portal.host.brandVersion}`]}
    >
      {props.children}
    </BaseLayout>
  );
}

/** In Default / Pool Redirected, with the reason, amounts and what happens next (src/default/banner.ts). */
function DefaultBannerView(props: { banner: DefaultBanner; timezone: string }) {
  const { banner } = props;
  const amounts = (list: DefaultBanner['overdue']) => (list.length === 0 ? formatMoney(0, 'USD') : list.map((m) => formatMoney(m.amountMinor, m.currency)).join(', '));
  const redirected = banner.status === 'pool_redirected';
  return (
    <section class={`default-banner default-banner-${banner.status}`} role="alert" data-testid="default-banner">
      <h2>{redirected ? 'Pool Redirected' : 'In Default'}</h2>
      {banner.reason && <p>Reason: {banner.reason}</p>}
      <p>
        Overdue now: <strong>{amounts(banner.overdue)}</strong>
        {banner.earned.length > 0 && <> · Credit earned by redirected hashrate: <strong>{amounts(banner.earned)}</strong></>}
      </p>
      <p>
        {redirected
          ? `Your miners are mining on our holding pool${banner.payDown ? '; the hashrate they deliver is credited daily against your oldest overdue invoice' : ''}. Once the overdue balance is paid, each miner goes back to the pool it was on.`
          : banner.redirectDueAt
            ? <>If the overdue balance is still unpaid on <Time ms={banner.redirectDueAt} timezone={props.timezone} dateOnly />, your miners will be pointed at our holding pool until it is paid.</>
            : 'Please pay the overdue balance. If it stays unpaid, your miners may be pointed at our holding pool until it is paid.'}
      </p>
    </section>
  );
}

export function PortalLayout(props: { portal: PortalContext; title: string; section: PortalSection; children: Child }) {
  const { portal } = props;
  // The account's name, and the member's only when it says something more (a member named like
  // the account printed "Alice Nakamoto Alice Nakamoto").
  const customerLabel = portal.customer?.teamName ?? portal.customer?.name ?? '';
  const memberName = portal.member && portal.member.name.trim().toLowerCase() !== customerLabel.trim().toLowerCase() ? portal.member.name : null;
  return (
    <PortalBase portal={portal} title={props.title} bodyClass="portal">
      {portal.preview && (
        <div class="preview-banner" role="status">
          <strong>View Portal</strong> — you are seeing {portal.customer?.name}'s portal exactly as they do, read-only. Nothing can be changed from this view.{' '}
          <a href={portal.base.replace(/\/portal$/, '')}>Back to the customer</a>
        </div>
      )}
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="portal-header">
        <BrandHead portal={portal} />
        <div class="portal-account">
          <span class="portal-customer">{customerLabel}</span>
          {memberName && <span class="portal-member small">{memberName}</span>}
          {!portal.preview && (
            <form method="post" action={portalHref(portal, '/auth/logout')}>
              <button type="submit" class="btn btn-link">
                Sign out
              </button>
            </form>
          )}
        </div>
      </header>
      <nav class="portal-nav" aria-label="Portal">
        <PortalNavLinks portal={portal} section={props.section} />
      </nav>
      <div class="portal-menu-bar">
        <details class="nav-menu">
          <summary>Menu</summary>
          <nav aria-label="Portal menu">
            <ul>
              {PORTAL_NAV.map((item) => (
                <li>
                  <a href={portalHref(portal, item.path)} aria-current={props.section === item.key ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        </details>
      </div>
      <div id="flash" role="status" aria-live="polite"></div>
      {/* Current announcements (src/routes/portal-announcements.tsx), fetched after the page so no page waits on them. */}
      <div id="announcement-banner" hx-get={portalHref(portal, '/announcements/banner')} hx-trigger="load" hx-swap="outerHTML"></div>
      <main id="main" class="portal-main">
        {portal.defaultBanner && <DefaultBannerView banner={portal.defaultBanner} timezone={portal.host.timezone} />}
        {props.children}
      </main>
      <footer class="page-footer portal-footer">
        <TimezoneNote timezone={portal.host.timezone} />
      </footer>
    </PortalBase>
  );
}

function PortalNavLinks(props: { portal: PortalContext; section: PortalSection }) {
  return (
    <>
      {PORTAL_NAV.map((item) => (
        <a href={portalHref(props.portal, item.path)} aria-current={props.section === item.key ? 'page' : undefined}>
          {item.label}
        </a>
      ))}
    </>
  );
}

export function PortalAuthLayout(props: { portal: PortalContext; title: string; children: Child }) {
  return (
    <PortalBase portal={props.portal} title={props.title} bodyClass="auth portal-auth">
      <main class="auth-card">
        <BrandHead portal={props.portal} />
        {props.children}
      </main>
    </PortalBase>
  );
}

/** A standalone branded page wider than the sign-in card: the agreement gate, a public quote. */
export function PortalDocumentLayout(props: { portal: PortalContext; title: string; children: Child }) {
  return (
    <PortalBase portal={props.portal} title={props.title} bodyClass="auth portal-auth portal-document">
      <main class="auth-card document-card" id="main">
        <BrandHead portal={props.portal} />
        {props.children}
      </main>
    </PortalBase>
  );
}
