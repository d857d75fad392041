import { h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { StaffSession } from '../../src/auth/staff-session';
import { can } from '../../src/auth/permissions';
import { API_KEY_SCOPE_LABELS, parseScopes } from '../../src/auth/api-keys';
import { currencyOptions } from '../../src/lib/currencies';
import type { FieldErrors } from '../../src/lib/errors';
import { ConfirmAction } from '../components/confirm';
import { TIMEZONES } from '../../src/lib/timezones';
import { EmptyState, FormErrorSummary, SelectField, TextField, Toggle } from '../components/form';
import { Time } from '../components/time';
import { AdminLayout, PageHeader } from '../layouts/admin';
import { TableWrap } from '../components/table';

const SECTIONS = [
  { key: 'general', label: 'General', href: '/admin/settings' },
  { key: 'branding', label: 'Branding', href: '/admin/settings/branding' },
  { key: 'domains', label: 'Domains', href: '/admin/settings/domains' },
  { key: 'alerts', label: 'Alerts', href: '/admin/settings/alerts' },
  { key: 'billing', label: 'Billing', href: '/admin/settings/billing' },
  { key: 'models', label: 'Models', href: '/admin/settings/models' },
  { key: 'default', label: 'Default and holding pool', href: '/admin/settings/default' },
  { key: 'legal', label: 'Legal', href: '/admin/settings/legal' },
  { key: 'staff', label: 'Team', href: '/admin/settings/staff' },
  { key: 'security', label: 'Security', href: '/admin/settings/security' },
  { key: 'api-keys', label: 'API keys', href: '/admin/settings/api-keys' },
  // Owner only (src/routes/admin-export.tsx): the data export and closing the account.
  { key: 'export', label: 'Export', href: '/admin/settings/export' },
] as const;

export type SettingsSection = (typeof SECTIONS)[number]['key'];

export function SettingsShell(props: { session: StaffSession; section: SettingsSection; title: string; children: Child }) {
  return (
    <AdminLayout session={props.session} title={props.title} area="settings">
      <PageHeader title="Settings" />
      <nav class="tabs" aria-label="Settings sections">
        {SECTIONS.filter((section) => section.key !== 'export' || can.exportHostData(props.session.role)).map((section) => (
          <a href={section.href} aria-current={props.section === section.key ? 'page' : undefined}>
            {section.label}
          </a>
        ))}
      </nav>
      <div class="tab-panel">{props.children}</div>
    </AdminLayout>
  );
}

export interface GeneralValues {
  name: string;
  main_slug: string;
  host_slug: string;
  default_currency: string;
  timezone: string;
}

export function GeneralSettingsForm(props: {
  values: GeneralValues;
  errors?: FieldErrors;
  editable: boolean;
  saved?: boolean;
  /** The branded portal sign-in address for the saved host slug; null until one is set. */
  portalSignInUrl: string | null;
}) {
  const { values, errors } = props;
  return (
    <form id="settings-form" method="post" action="/admin/settings" hx-post="/admin/settings" hx-target="this" hx-swap="outerHTML" novalidate>
      {props.saved && (
        <div class="alert alert-success" role="status">
          Settings saved.
        </div>
      )}
      {!props.editable && (
        <div class="alert alert-info" role="status">
          Only the owner can change these settings.
        </div>
      )}
      <FormErrorSummary errors={errors} />
      <fieldset disabled={!props.editable}>
        <TextField label="Organisation name" name="name" value={values.name} errors={errors} required />
        <TextField
          label="Main slug"
          name="main_slug"
          value={values.main_slug}
          errors={errors}
          required
          hint="Lowercase letters, digits and hyphens; unique across Hashyard."
        />
        <TextField
          label="Host slug"
          name="host_slug"
          value={values.host_slug}
          errors={errors}
          hint="Your customers' portal address: /host/<host slug>. Lowercase letters, digits and hyphens; unique across Hashyard. Customers can be invited once it is set."
        />
        {props.portalSignInUrl ? (
          <p class="hint portal-url" id="host_slug-url">
            Branded sign-in:{' '}
            <a href={props.portalSignInUrl}>
              <code>{props.portalSignInUrl}</code>
            </a>
          </p>
        ) : (
          <p class="hint portal-url" id="host_slug-url">
            No host slug yet: your customers' portal has no branded address, and customers cannot be invited.
          </p>
        )}
        <SelectField
          label="Default billing currency"
          name="default_currency"
          value={values.default_currency}
          errors={errors}
          options={currencyOptions()}
        />
        <SelectField label="Timezone" name="timezone" value={values.timezone} errors={errors} options={TIMEZONES.map((zone) => [zone, zone] as const)} />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary">
            Save settings
          </button>
        </div>
      </fieldset>
    </form>
  );
}

export function GeneralSettingsPage(props: {
  session: StaffSession;
  values: GeneralValues;
  errors?: FieldErrors;
  saved?: boolean;
  portalSignInUrl: string | null;
}) {
  return (
    <SettingsShell session={props.session} section="general" title="Settings">
      <GeneralSettingsForm
        values={props.values}
        errors={props.errors}
        editable={can.changeCoreSettings(props.session.role)}
        saved={props.saved}
        portalSignInUrl={props.portalSignInUrl}
      />
    </SettingsShell>
  );
}

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  scopes: string;
}

export function ApiKeysPage(props: {
  session: StaffSession;
  keys: ApiKeyRow[];
  created?: { name: string; secret: string };
  values?: { name: string; scope_ticket_notes?: boolean };
  errors?: FieldErrors;
}) {
  const manage = can.manageApiKeys(props.session.role);
  const tz = props.session.host.timezone;
  return (
    <SettingsShell session={props.session} section="api-keys" title="API keys">
      <p class="muted">
        Integrations call the JSON API with <code>Authorization: Bearer &lt;key&gt;</code>. A key is shown once, when it is created; we store only
        its hash.
      </p>
      {props.created && (
        <div class="alert alert-success secret-reveal" role="status">
          <p>
            Key <strong>{props.created.name}</strong> created. Copy it now: it will not be shown again.
          </p>
          <code class="secret" data-testid="new-api-key">
            {props.created.secret}
          </code>
        </div>
      )}
      {manage && (
        <form class="inline-form" method="post" action="/admin/settings/api-keys" novalidate>
          <FormErrorSummary errors={props.errors} />
          <TextField label="Key name" name="name" value={props.values?.name} errors={props.errors} required placeholder="e.g. Billing sync" />
          <Toggle
            label={API_KEY_SCOPE_LABELS['tickets:internal_notes']}
            name="scope_ticket_notes"
            checked={props.values?.scope_ticket_notes ?? false}
            errors={props.errors}
            hint="Off: the key never sees staff notes (include_internal=true is refused). Only for integrations used by your staff."
          />
          <button type="submit" class="btn btn-primary">
            Create API key
          </button>
        </form>
      )}
      {props.keys.length === 0 ? (
        <EmptyState title="No API keys yet">
          <p>Create a key to connect your billing or monitoring tools.</p>
        </EmptyState>
      ) : (
        <TableWrap label="API keys">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                {manage && <th scope="col"><span class="visually-hidden">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {props.keys.map((key) => (
                <tr>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{parseScopes(key.scopes).map((scope) => API_KEY_SCOPE_LABELS[scope]).join(', ') || <span class="muted">Standard</span>}</td>
                  <td>
                    <Time ms={key.createdAt} timezone={tz} />
                  </td>
                  <td>{key.lastUsedAt ? <Time ms={key.lastUsedAt} timezone={tz} /> : <span class="muted">Never</span>}</td>
                  <td>{key.revokedAt ? <span class="badge badge-inactive">Revoked</span> : <span class="badge badge-active">Active</span>}</td>
                  {manage && (
                    <td>
                      {!key.revokedAt && (
                        <ConfirmAction
                          action={`/admin/settings/api-keys/${key.id}/revoke`}
                          formClass="confirm-form"
                          label="Revoke"
                          consequence="Integrations using this key stop working at once."
                          confirmLabel={`Revoke ${key.name}`}
                        />
                      )}
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
