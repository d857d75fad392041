import { alertText, type AlertView } from './service';
import { parseAlertDetail } from './describe';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The alert object of the JSON API (docs/API.md): snake_case, ISO 8601 times. */
export function toApiAlert(alert: AlertView) {
  return {
    id: alert.id,
    kind: alert.kind,
    state: alert.closedAt === null ? 'open' : 'closed',
    message: alertText(alert),
    detail: parseAlertDetail(alert.detail),
    site_id: alert.siteId,
    miner_id: alert.minerId,
    miner: { serial: alert.minerSerial, mac: alert.minerMac, model: alert.minerModel, rack_location: alert.minerRackLocation },
    customer_id: alert.customerId,
    opened_at: new Date(alert.openedAt).toISOString(),
    closed_at: iso(alert.closedAt),
    emailed_at: iso(alert.emailedAt),
    /** The maintenance window that suppressed it (src/notify/), or null. */
    suppressed_by: alert.suppressedBy,
  };
}
