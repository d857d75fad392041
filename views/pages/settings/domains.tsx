import { h } from '#jsx';
import type { StaffSession } from '../../../src/auth/staff-session';
import { can } from '../../../src/auth/permissions';
import type { DomainRow, VerificationMode } from '../../../src/domains/service';
import { ownershipRecordName, ownershipRecordValue } from '../../../src/domains/schema';
import type { FieldErrors } from '../../../src/lib/errors';
import { portalOrigin } from '../../../src/portal/links';
import { ConfirmAction } from '../../components/confirm';
import { EmptyState, FormErrorSummary, TextField } from '../../components/form';
import { Time } from '../../components/time';
import { SettingsShell } from '../settings';
import { TableWrap } from '../../components/table';

const STATUS_LABEL: Record<DomainRow['status'], string> = { pending: 'Pending', active: 'Active', failed: 'Failed' };

function ModeNotice(props: { mode: VerificationMode }) {
  if (props.mode === 'unconfigured') {
    return (
      <div class="alert alert-error" role="status" data-testid="verification-not-configured">
        Custom domain verification is not configured on this deployment: the operator must set <code>CF_API_TOKEN</code> and{' '}
        <code>CF_ZONE_ID</code> (Cloudflare for SaaS). Domains can be added, but none can be verified until then.
      </div>
    );
  }
  if (props.mode === 'development') {
    return (
      <div class="alert alert-info" role="status" data-testid="verification-development">
        Development: Cloudflare for SaaS is not configured, so a name under <code>.localhost</code> (for example{' '}
        <code>portal.yourhost.localhost</code>) can be marked verified with “Verify (development)”. See “Custom domains (development)” in the
        README.
      </div>
    );
  }
  return null;
}

export function DomainsPage(props: {
  session: StaffSession;
  domains: DomainRow[];
  mode: VerificationMode;
  /** The CNAME target: the platform host. */
  target: string;
  /** The origin the platform is reached on: links to verified domains keep its scheme and port. */
  platformOrigin: string;
  values?: { hostname: string };
  errors?: FieldErrors;
  notice?: string;
}) {
  const { session, mode } = props;
  const editable = can.manageDomains(session.role);
  const portalUrl = (hostname: string) => `${portalOrigin(hostname, props.platformOrigin)}/`;
  return (
    <SettingsShell session={session} section="domains" title="Custom domains">
      <p class="muted">
        Serve your customer portal on your own hostname, like <code>portal.yourcompany.com</code>. Add the hostname here, then create a DNS
        record <code>CNAME</code> from it to <code>{props.target}</code> and check its status. Once it is active, your portal answers there and
        invitations link to it.
      </p>
      {props.notice && (
        <div class="alert alert-success" role="status">
          {props.notice}
        </div>
      )}
      <ModeNotice mode={mode} />
      {!editable && (
        <div class="alert alert-info" role="status">
          Only the owner can add, verify or remove custom domains.
        </div>
      )}
      {editable && (
        <form class="inline-form" method="post" action="/admin/settings/domains" novalidate>
          <FormErrorSummary errors={props.errors} />
          <TextField
            label="Hostname"
            name="hostname"
            value={props.values?.hostname}
            errors={props.errors}
            required
            placeholder="portal.yourcompany.com"
            hint="The hostname only: no https://, port or path."
          />
          <button type="submit" class="btn btn-primary">
            Add domain
          </button>
        </form>
      )}
      {props.domains.length === 0 ? (
        <EmptyState title="No custom domains yet">
          <p>Your portal is on the Hashyard address (Settings → General → Host slug) until you add one.</p>
        </EmptyState>
      ) : (
        <TableWrap label="Custom domains">
          <table class="table" data-testid="domains-table">
            <thead>
              <tr>
                <th scope="col">Hostname</th>
                <th scope="col">Status</th>
                <th scope="col">DNS</th>
                <th scope="col">Added</th>
                {editable && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {props.domains.map((domain) => (
                <tr data-domain-id={domain.id}>
                  <td>
                    {domain.status === 'active' ? <a href={portalUrl(domain.hostname)}>{domain.hostname}</a> : domain.hostname}
                  </td>
                  <td>
                    <span class={`badge badge-domain-${domain.status}`}>{STATUS_LABEL[domain.status]}</span>
                    {domain.detail && <p class="hint domain-detail">{domain.detail}</p>}
                    {mode === 'development' && domain.status !== 'active' && !domain.hostname.endsWith('.localhost') && (
                      <p class="hint domain-detail">Only names under .localhost can be verified here (Cloudflare for SaaS is not configured).</p>
                    )}
                  </td>
                  <td>
                    <code class="dns-record">
                      {domain.hostname} CNAME {props.target}
                    </code>
                    {domain.ownershipToken && !domain.hostname.endsWith('.localhost') && (
                      <code class="dns-record" data-testid="ownership-record">
                        {ownershipRecordName(domain.hostname)} TXT {ownershipRecordValue(domain.ownershipToken)}
                      </code>
                    )}
                  </td>
                  <td>
                    <Time ms={domain.createdAt} timezone={session.host.timezone} dateOnly />
                  </td>
                  {editable && (
                    <td class="row-actions">
                      {mode === 'cloudflare' && (
                        <form method="post" action={`/admin/settings/domains/${domain.id}/check`}>
                          <button type="submit" class="btn btn-small">
                            Check status
                          </button>
                        </form>
                      )}
                      {mode === 'development' && domain.status !== 'active' && domain.hostname.endsWith('.localhost') && (
                        <form method="post" action={`/admin/settings/domains/${domain.id}/verify-dev`}>
                          <button type="submit" class="btn btn-small">
                            Verify (development)
                          </button>
                        </form>
                      )}
                      <ConfirmAction
                        action={`/admin/settings/domains/${domain.id}/remove`}
                        small
                        label="Remove"
                        consequence={`Your portal stops answering at ${domain.hostname} at once.`}
                        confirmLabel={`Remove ${domain.hostname}`}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </SettingsShell>
  );
}
