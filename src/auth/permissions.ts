import type { StaffRole } from './roles';
import { forbidden } from '../lib/errors';

/**
 * What each staff role may do. A host has exactly one owner (src/team/ownership.ts), who alone
 * changes core settings, custom domains, billing settings, exports and closes the host; admins
 * manage API keys, branding and staff up to admin (never the owner); everyone works with customers.
 */
export const can = {
  changeCoreSettings: (role: StaffRole) => role === 'owner',
  manageApiKeys: (role: StaffRole) => role === 'owner' || role === 'admin',
  manageStaff: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** The portal's white label: logo, slogan, colours. */
  manageBranding: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** Custom domains decide where the portal answers: owner only, like the slugs. */
  manageDomains: (role: StaffRole) => role === 'owner',
  /** Facility agents hold credentials that write a site's telemetry: owner/admin. */
  manageAgents: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** Host alert rules (Settings → Alerts): thresholds and whether customers are emailed. */
  manageAlertRules: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** Settings → Billing: currency, rates, terms, numbering, tax. */
  manageBilling: (role: StaffRole) => role === 'owner',
  /** Settings → Export and closing the host: the whole business's data. */
  exportHostData: (role: StaffRole) => role === 'owner',
  /** Issuing and voiding invoices, recording payments: money leaves the host's books. */
  manageInvoices: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** Settings → Legal: publishing the agreements customers must accept. */
  manageLegal: (role: StaffRole) => role === 'owner' || role === 'admin',
  /**
   * Owners and admins grant, change and remove roles up to admin; the owner role itself only
   * moves by a transfer (src/team/ownership.ts), so nobody can grant, take or remove it here.
   */
  manageStaffRole: (actorRole: StaffRole, targetRole: StaffRole) => (actorRole === 'owner' || actorRole === 'admin') && targetRole !== 'owner',
};

export function requireThat(allowed: boolean, message?: string): void {
  if (!allowed) throw forbidden(message);
}
