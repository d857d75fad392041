import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import type { AgentConnection, SiteListItem } from '../../../src/sites/service';
import { EmptyState } from '../../components/form';
import { Time } from '../../components/time';
import { AdminLayout, PageHeader } from '../../layouts/admin';
import { formatCount } from '../../../src/lib/format';
import { TableWrap } from '../../components/table';

export const siteLocation = (site: { city: string | null; region: string | null; country: string | null }) =>
  [site.city, site.region, site.country].filter(Boolean).join(', ');

/** "No agent" until one registers; then online (reported within 5 minutes) or offline. */
export function AgentConnectionText(props: { agent: AgentConnection; timezone: string }) {
  const { agent } = props;
  if (agent.kind === 'none') return <span class="badge badge-inactive">No agent</span>;
  if (agent.kind === 'online') {
    return (
      <span>
        <span class="badge badge-active">Agent online</span>{' '}
        <span class="muted small">
          last seen <Time ms={agent.lastSeenAt} timezone={props.timezone} />
        </span>
      </span>
    );
  }
  return (
    <span>
      <span class="badge badge-pool_redirected">Agent offline</span>
      {agent.lastSeenAt !== null && (
        <span class="muted small">
          {' '}
          last seen <Time ms={agent.lastSeenAt} timezone={props.timezone} />
        </span>
      )}
    </span>
  );
}

export function SitesListPage(props: { session: StaffSession; sites: SiteListItem[] }) {
  const tz = props.session.host.timezone;
  return (
    <AdminLayout session={props.session} title="Sites" area="sites">
      <PageHeader
        title="Sites"
        actions={
          <a class="btn btn-primary" href="/admin/sites/new">
            Add Site
          </a>
        }
      />
      {props.sites.length === 0 ? (
        <EmptyState title="No sites yet">
          <p>Add the facilities you host miners in. Each site gets a facility agent that reports its miners live.</p>
          <a class="btn btn-primary" href="/admin/sites/new">
            Add Site
          </a>
        </EmptyState>
      ) : (
        <TableWrap label="Sites">
          <table class="table" data-testid="sites">
            <thead>
              <tr>
                <th scope="col">Site</th>
                <th scope="col">Location</th>
                <th scope="col">Miners</th>
                <th scope="col">Agent</th>
              </tr>
            </thead>
            <tbody>
              {props.sites.map((site) => (
                <tr>
                  <td>
                    <a href={`/admin/sites/${site.id}`}>{site.name}</a>
                  </td>
                  <td>{siteLocation(site) || <span class="muted">—</span>}</td>
                  <td>
                    <a href={`/admin/equipment?site=${site.id}`}>{formatCount(site.minerCount)}</a>
                  </td>
                  <td>
                    <AgentConnectionText agent={site.agent} timezone={tz} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </AdminLayout>
  );
}
