import type { DefaultBanner } from '../default/banner';
import type { PortalCustomer, PortalMember } from './session';
import type { PortalHost } from './tenant';

/**
 * Everything a portal page renders from. The same portal routes serve three mounts:
 * `/host/<slug>` on the platform, `/` on a verified custom domain, and host staff's read-only
 * View Portal at `/admin/customers/<id>/portal`; `base` is the prefix links are built on.
 */
export interface PortalContext {
  host: PortalHost;
  base: string;
  /** Set in View Portal: staff see exactly what the customer sees, and nothing can change. */
  preview: { staffName: string } | null;
  /** The signed-in member; null in preview (staff are not members) and on public pages. */
  member: PortalMember | null;
  /** The customer whose portal this is, once known (signed in, or previewed). */
  customer: PortalCustomer | null;
  /** In Default / Pool Redirected: what the portal's banner says (src/default/banner.ts). */
  defaultBanner?: DefaultBanner | null;
}
