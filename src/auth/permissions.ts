import type { StaffRole } from '../db/schema';
import { forbidden } from '../lib/errors';

/**
 * What each staff role may do. Owners alone change core settings and other owners/admins;
 * admins manage API keys and plain staff; everyone works with customers.
 */
export const can = {
  changeCoreSettings: (role: StaffRole) => role === 'owner',
  manageApiKeys: (role: StaffRole) => role === 'owner' || role === 'admin',
  manageStaff: (role: StaffRole) => role === 'owner' || role === 'admin',
  /** Granting or removing owner/admin is reserved to owners. */
  manageStaffRole: (actorRole: StaffRole, targetRole: StaffRole) => actorRole === 'owner' || targetRole === 'staff',
};

export function requireThat(allowed: boolean, message?: string): void {
  if (!allowed) throw forbidden(message);
}
