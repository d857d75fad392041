import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { alertRules } from '../db/schema';

export type AlertKind = 'offline' | 'low_hashrate' | 'over_temp';

export interface AlertRules {
  offlineMinutes: number;
  lowHashratePct: number;
  lowHashrateMinutes: number;
  overTempC: number;
  overTempMinutes: number;
  cooldownMinutes: number;
  emailCustomer: boolean;
}

/** Sensible defaults for a host that has not tuned its rules. */
export const DEFAULT_ALERT_RULES: AlertRules = {
  offlineMinutes: 10,
  lowHashratePct: 80,
  lowHashrateMinutes: 15,
  overTempC: 85,
  overTempMinutes: 5,
  cooldownMinutes: 30,
  emailCustomer: false,
};

export async function loadAlertRules(db: Db, hostId: string): Promise<AlertRules> {
  const row = await db.select().from(alertRules).where(eq(alertRules.hostId, hostId)).get();
  if (!row) return DEFAULT_ALERT_RULES;
  const { hostId: _hostId, updatedAt: _updatedAt, ...rules } = row;
  return rules;
}

/** Per miner and kind: when the condition started holding, the open alert, the last close. */
export interface AlertTrack {
  breachSince: number | null;
  openAlertId: string | null;
  lastClosedAt: number | null;
}

export type AlertDecision = { track: AlertTrack; event: null | { type: 'open' } | { type: 'close'; alertId: string } };

/**
 * Sustain and cooldown, for one miner and one kind. An alert opens once the condition has held
 * for `sustainMs` and no alert of that kind closed within `cooldownMs`; it closes as soon as the
 * condition stops. Pure: the caller supplies ids and writes the records.
 */
export function evaluateAlert(track: AlertTrack, breaching: boolean, now: number, sustainMs: number, cooldownMs: number): AlertDecision {
  if (!breaching) {
    if (track.openAlertId) {
      return { track: { breachSince: null, openAlertId: null, lastClosedAt: now }, event: { type: 'close', alertId: track.openAlertId } };
    }
    return { track: { ...track, breachSince: null }, event: null };
  }
  const since = track.breachSince ?? now;
  if (track.openAlertId) return { track: { ...track, breachSince: since }, event: null };
  const sustained = now - since >= sustainMs;
  const cooled = track.lastClosedAt === null || now - track.lastClosedAt >= cooldownMs;
  if (sustained && cooled) return { track: { breachSince: since, openAlertId: 'pending', lastClosedAt: track.lastClosedAt }, event: { type: 'open' } };
  return { track: { ...track, breachSince: since }, event: null };
}
