import { describe, expect, it } from 'vitest';
import { api, createApiKeyFor, createHost, createTestCustomer } from '../helpers/fixtures';
import { insertMiner, insertSite } from '../helpers/alerts';
import { hoursFrom, insertPerKwhContract, insertUsage, setBillingDay, setHostTimezone } from '../helpers/usage';

const NOV = Date.UTC(2026, 10, 1);

async function seeded() {
  const host = await createHost('Usage API Host');
  const key = await createApiKeyFor(host);
  const customer = await createTestCustomer(host, { name: 'API Usage Customer' });
  const siteId = await insertSite(host, 'Hall API');
  const hashrate = await insertMiner(host, { siteId, customerId: customer.id, serial: 'A-HASH', model: 'S19' });
  await insertUsage(
    host,
    hoursFrom(NOV, 10, () => ({ minerId: hashrate.id, siteId, customerId: customer.id, energyWh: 3100, avgHashrateMths: 104_250, onlineSeconds: 3600 })),
  );
  await insertPerKwhContract(host, customer.id, [hashrate.id], { kwhSource: 'hashrate', efficiencyMjPerTh: 29_500 });
  return { host, key, customer, siteId, hashrate };
}

describe('GET /api/v1/customers/:id/usage', () => {
  it('returns the month per unit: integer Wh, TH/s like the rest of the API, uptime and variance in basis points, and the daily series', async () => {
    const { key, customer, siteId, hashrate } = await seeded();
    const res = await api(`/api/v1/customers/${customer.id}/usage?month=2026-11`, { key });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, any> };
    expect(data.customer_id).toBe(customer.id);
    expect(data.month).toBe('2026-11');
    expect(data.period).toEqual({
      start: '2026-11-01',
      end: '2026-12-01',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      time_zone: 'UTC',
      billing_day: 1,
    });
    // 29.5 J/TH x 104.25 TH/s x 1 h = 3075.375 Wh → 3075 per hour.
    expect(data.units).toEqual([
      {
        miner_id: hashrate.id,
        serial: 'A-HASH',
        model: 'S19',
        site_id: siteId,
        site_name: 'Hall API',
        kwh_sources: ['hashrate'],
        covered_hours: 10,
        uncovered_hours: 0,
        billed_wh: 30_750,
        billed_note: null,
        metered_wh: 31_000,
        unknown_hours: 0,
        online_seconds: 36_000,
        owned_seconds: expect.any(Number),
        planned_downtime_seconds: 0,
        avg_hashrate_ths: 104.25,
        uptime_bps: expect.any(Number),
        variance: { against: 'metered', billed_wh: 30_750, metered_wh: 31_000, bps: 81, band: 'green' },
      },
    ]);
    expect(Number.isInteger(data.units[0].uptime_bps)).toBe(true);
    expect(data.totals).toMatchObject({ units: 1, billed_wh: 30_750, metered_wh: 31_000, online_seconds: 36_000, unbilled_units: 0 });
    expect(data.days).toHaveLength(30);
    expect(data.days[0]).toEqual({ date: '2026-11-01', metered_wh: 31_000, billed_wh: 30_750, avg_hashrate_ths: 43.438 });
    expect(data.days[1]).toEqual({ date: '2026-11-02', metered_wh: 0, billed_wh: null, avg_hashrate_ths: 0 });
  });

  it('follows the host’s billing day and zone, and defaults to the current period', async () => {
    const { host, key, customer } = await seeded();
    await setHostTimezone(host, 'Asia/Tokyo');
    await setBillingDay(host, 20);
    const res = await api(`/api/v1/customers/${customer.id}/usage?month=2026-10`, { key });
    const { data } = (await res.json()) as { data: Record<string, any> };
    expect(data.period).toMatchObject({ start: '2026-10-20', end: '2026-11-20', from: '2026-10-19T15:00:00.000Z', to: '2026-11-19T15:00:00.000Z', time_zone: 'Asia/Tokyo', billing_day: 20 });
    // The November hours fall in Tokyo's October period (20 Oct – 20 Nov).
    expect(data.totals.metered_wh).toBe(31_000);
    expect(data.days[12]).toMatchObject({ date: '2026-11-01' });
    // The ten hours from 00:00Z on Nov 1 are 09:00–19:00 in Tokyo: all on the local Nov 1.
    expect(data.days[12].metered_wh).toBe(31_000);

    const current = await api(`/api/v1/customers/${customer.id}/usage`, { key });
    expect(current.status).toBe(200);
    expect(((await current.json()) as { data: { month: string } }).data.month).toMatch(/^\d{4}-\d{2}$/);
  });

  it('answers 422 with a field error for a bad month, and 404 for an unknown customer', async () => {
    const { key, customer } = await seeded();
    for (const month of ['2026-13', '2026-1', 'november', '2026-11-01', '1899-01']) {
      const res = await api(`/api/v1/customers/${customer.id}/usage?month=${encodeURIComponent(month)}`, { key });
      expect(res.status, month).toBe(422);
      const body = (await res.json()) as { error: { code: string; fields: Record<string, string> } };
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.fields.month).toContain('YYYY-MM');
    }
    const missing = await api(`/api/v1/customers/${crypto.randomUUID()}/usage?month=2026-11`, { key });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
