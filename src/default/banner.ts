/**
 * The portal's In Default / Pool Redirected banner (docs/DEFAULT.md): the reason, what is
 * overdue now, the credit redirected hashrate has earned, and what happens next. Read only for a
 * customer whose status says so, so every other portal page costs nothing more.
 */
import type { CustomerStatus } from '../customers/status';
import type { Db } from '../db/client';
import { caseSummary, type OverdueAmount } from './service';
import { getDefaultSettings } from './settings';

export interface DefaultBanner {
  status: 'in_default' | 'pool_redirected';
  reason: string | null;
  overdue: OverdueAmount[];
  earned: OverdueAmount[];
  /** When an automatic redirect is due (epoch ms), if the host starts them by itself. */
  redirectDueAt: number | null;
  payDown: boolean;
}

export async function defaultBannerFor(db: Db, hostId: string, customerId: string, status: CustomerStatus | undefined): Promise<DefaultBanner | null> {
  if (status !== 'in_default' && status !== 'pool_redirected') return null;
  const [summary, settings] = await Promise.all([caseSummary(db, hostId, customerId), getDefaultSettings(db, hostId)]);
  return {
    status,
    reason: summary.openCase?.reason ?? null,
    overdue: summary.overdue,
    earned: summary.earned,
    redirectDueAt: status === 'in_default' && summary.openCase && settings.autoRedirectDays !== null && settings.holdingPoolUrl ? summary.openCase.openedAt + settings.autoRedirectDays * 86_400_000 : null,
    payDown: settings.payDown,
  };
}
