import { describe, expect, it } from 'vitest';
import { addTotals, addToPoint, emptyTotals, liveTotals } from '../../src/live/aggregate';
import type { HistoryPoint, LiveKey } from '../../src/telemetry/types';

const key = (status: LiveKey['status'], hashrateThs: number | null, powerW: number | null): LiveKey => ({
  minerId: crypto.randomUUID(),
  status,
  hashrateThs,
  powerW,
  tempMaxC: null,
  efficiencyJth: null,
  uptimeS: null,
});

describe('live sums', () => {
  it('liveTotals counts every state by status, and hashrate and power of mining ones only', () => {
    const totals = liveTotals([key('active', 100, 3000), key('degraded', 50, null), key('offline', 7, 900), key('sleeping', 0, 40)]);
    expect(totals).toEqual({ miners: 4, byStatus: { active: 1, degraded: 1, offline: 1, sleeping: 1, stale: 0, lost: 0 }, hashrateThs: 150, powerW: 3000 });
  });

  it('addTotals sums sites as if they were one', () => {
    const a = [key('active', 100, 3000), key('offline', 1, 1)];
    const b = [key('degraded', 60, 2500)];
    const sum = emptyTotals();
    addTotals(sum, liveTotals(a));
    addTotals(sum, liveTotals(b));
    expect(sum).toEqual(liveTotals([...a, ...b]));
  });

  it('addToPoint adds hashrate and power, takes the max temperature, and keeps null until a value comes', () => {
    const points = new Map<number, HistoryPoint>();
    addToPoint(points, 0, null, null, null);
    expect(points.get(0)).toEqual({ t: 0, hashrateThs: null, powerW: null, tempMaxC: null });
    addToPoint(points, 0, 100, null, 70);
    addToPoint(points, 0, 90, 3000, 65);
    expect(points.get(0)).toEqual({ t: 0, hashrateThs: 190, powerW: 3000, tempMaxC: 70 });
  });
});
