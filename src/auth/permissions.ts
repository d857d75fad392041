import type { StaffRole } from './roles';
import { forbidden } from '../lib/errors';

/**
 * What each staff role may do. Owners alone change core settings, custom domains and other
 * owners/admins; admins manage API keys, branding and plain staff; everyone works with customers.
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
  manageBilling: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** Issuing and voiding invoices, recording payments: money leaves the host's books. */
  manageInvoices: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** Settings → Legal: publishing the agreements customers must accept. */
  manageLegal: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** Granting or removing owner/admin is reserved to owners. */
  manageStaffRole: (actorRole: StaffRole, targetRole: StaffRole) => actorRole === 'owner' || targetRole === 'staff',
};

export function requireThat(allowed: boolean, message?: string): void {
  if (!allowed) throw forbidden(message);
}
