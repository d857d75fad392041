import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { billedWh, type EnergyLineDetail, type KwhSource } from '../../src/billing/energy';
import { energyAmountMinor } from '../../src/billing/money';
import { listAdjustments, SEAL_AFTER_MS, sealDueDays, sealsForWindow } from '../../src/billing/seal';
import { EVIDENCE_COLUMNS, exactAmountText, parseCsv, verifyEvidence } from '../../src/billing/seal-format.js';
import { hosts, miners, usageHourly } from '../../src/db/schema';
import { portalCustomer } from '../helpers/alerts';
import { api, createApiKeyFor, createHost, createMiner, db, getPage, type TestHost } from '../helpers/fixtures';
import { DAY_MS, HOUR_MS, insertAdjustmentLine, insertEnergyLine, insertInvoice, insertUsage, upsertUsageLikeSiteState, utcMidnightDaysAgo, type UsageFields } from '../helpers/evidence';
import { createSite } from '../helpers/telemetry';

const FORMULA_SERIAL = '=HYPERLINK("http://evil.example","x")';

type Record = { [K in (typeof EVIDENCE_COLUMNS)[number]]: string };

/** The CSV as records keyed by column. */
function recordsOf(csv: string): Record[] {
  const [header, ...rows] = parseCsv(csv);
  expect(header).toEqual([...EVIDENCE_COLUMNS]);
  return rows.map((r) => Object.fromEntries(header!.map((name, i) => [name, r[i] ?? ''])) as Record);
}

async function unitWith(host: TestHost, siteId: string, customerId: string, nominalPowerW: number | null, serial?: string) {
  const id = await createMiner(host, { customerId, siteId });
  await db()
    .update(miners)
    .set({ nominalPowerW, ...(serial ? { serial } : {}) })
    .where(eq(miners.id, id));
  const [row] = await db().select().from(miners).where(eq(miners.id, id)).all();
  return { minerId: id, serial: row!.serial, siteId, nominalPowerW };
}

/**
 * A host in New York with Alice (three units, two of them in the line) and Bob at one site;
 * three days of hourly usage, the first two sealed; the window starts two hours into day 0 so
 * Alice's earlier hours of that sealed day are context rows.
 */
async function evidenceFixture(name: string) {
  const host = await createHost(name);
  await db().update(hosts).set({ timezone: 'America/New_York' }).where(eq(hosts.id, host.hostId));
  const siteId = await createSite(host);
  const alice = await portalCustomer(host, `${name} Alice`);
  const bob = await portalCustomer(host, `${name} Bob`);
  const u1 = await unitWith(host, siteId, alice.customer.id, 3_250, `${FORMULA_SERIAL}-${crypto.randomUUID().slice(0, 4)}`);
  const u2 = await unitWith(host, siteId, alice.customer.id, 3_400);
  const u3 = await unitWith(host, siteId, alice.customer.id, 3_000);
  const b1 = await unitWith(host, siteId, bob.customer.id, 3_100);
  const d0 = utcMidnightDaysAgo(12);
  const rows: UsageFields[] = [];
  let n = 0;
  for (const day of [0, 1, 2]) {
    for (let hour = 0; hour < 5; hour++) {
      for (const [unit, customerId] of [
        [u1, alice.customer.id],
        [u2, alice.customer.id],
        [u3, alice.customer.id],
        [b1, bob.customer.id],
      ] as const) {
        n += 1;
        rows.push({
          minerId: unit.minerId,
          siteId,
          customerId,
          hourStart: d0 + day * DAY_MS + hour * HOUR_MS,
          energyWh: 2_900 + ((n * 37) % 400),
          energySource: n % 3 === 0 ? 'pdu' : 'miner',
          avgHashrateMths: 95_000 + ((n * 1_013) % 9_000),
          onlineSeconds: 3_600 - ((n * 61) % 900),
          samples: 60 - (n % 7),
        });
      }
    }
  }
  await insertUsage(host, rows);
  await sealDueDays(db(), d0 + 2 * DAY_MS + SEAL_AFTER_MS, { siteIds: [siteId] });
  return { host, siteId, alice, bob, units: [u1, u2], u3, b1, d0, window: { fromMs: d0 + 2 * HOUR_MS, toMs: d0 + 3 * DAY_MS } };
}

type Fixture = Awaited<ReturnType<typeof evidenceFixture>>;

/** An issued invoice for Alice with one energy line, computed the way the generator must. */
async function aliceEnergyInvoice(f: Fixture, source: KwhSource, currency: string, options: { status?: 'draft' | 'issued' } = {}) {
  const rate = 65_432;
  const efficiency = source === 'hashrate' ? 29_500 : null;
  const billed = (await db().select().from(usageHourly).where(eq(usageHourly.hostId, f.host.hostId)).all()).filter(
    (r) => r.customerId === f.alice.customer.id && f.units.some((u) => u.minerId === r.minerId) && r.hourStart >= f.window.fromMs && r.hourStart < f.window.toMs,
  );
  const energyWh = billed.reduce((sum, r) => sum + billedWh(r, source, f.units.find((u) => u.minerId === r.minerId)!, efficiency)!, 0);
  const cited = await sealsForWindow(db(), f.host.hostId, f.alice.customer.id, [f.siteId], f.window.fromMs, f.window.toMs);
  const detail: EnergyLineDetail = {
    v: 1,
    customerId: f.alice.customer.id,
    contractId: crypto.randomUUID(),
    kwhSource: source,
    rateMicrosPerKwh: rate,
    currency,
    efficiencyMjPerTh: efficiency,
    fromMs: f.window.fromMs,
    toMs: f.window.toMs,
    units: f.units,
    seals: cited.seals,
    unsealedDays: cited.unsealedDays,
  };
  const invoiceId = await insertInvoice(f.host, f.alice.customer.id, { ...f.window, currency, status: options.status ?? 'issued', number: options.status === 'draft' ? null : undefined });
  const line = await insertEnergyLine(f.host, invoiceId, detail, energyWh);
  return { invoiceId, lineId: line.id, energyWh, amountMinor: line.amountMinor, rate, billedRows: billed.length, cited };
}

describe('energy line evidence', () => {
  it.each([
    ['metered', 'USD'],
    ['spec', 'BHD'],
    ['hashrate', 'JPY'],
  ] as const)('sums to the line for the %s source (%s), and every seal re-derives', async (source, currency) => {
    const f = await evidenceFixture(`Evidence ${source} Host`);
    const invoice = await aliceEnergyInvoice(f, source, currency);
    const res = await getPage(`/admin/invoices/${invoice.invoiceId}/lines/${invoice.lineId}/evidence.csv`, { cookie: f.host.owner.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/csv');
    expect(res.headers.get('Content-Disposition')).toMatch(/^attachment; filename="evidence-INV-2026-\d{4}-line-1\.csv"$/);
    const csv = await res.text();
    const records = recordsOf(csv);

    const inLine = records.filter((r) => r.record_type === 'usage' && r.in_line === '1');
    expect(inLine).toHaveLength(invoice.billedRows);
    const sum = inLine.reduce((s, r) => s + Number(r.billed_wh), 0);
    expect(sum).toBe(invoice.energyWh);
    expect(energyAmountMinor(sum, invoice.rate, currency)).toBe(invoice.amountMinor);
    const [total] = records.filter((r) => r.record_type === 'total');
    expect(total).toMatchObject({ billed_wh: String(invoice.energyWh), amount_minor: String(invoice.amountMinor), currency, kwh_source: source });

    // Context rows: Alice's rows of the sealed days that this line does not bill (unit 3, hours
    // before the window), so the seals can be re-derived; never Bob's.
    const context = records.filter((r) => r.record_type === 'usage' && r.in_line === '0');
    expect(context.some((r) => r.unit_id === f.u3.minerId)).toBe(true);
    expect(context.some((r) => Number(r.hour_start_ms) < f.window.fromMs)).toBe(true);
    expect(context.every((r) => r.billed_wh === '' && r.seal_hash !== '')).toBe(true);
    expect(records.some((r) => r.unit_id === f.b1.minerId || r.customer_key === f.bob.customer.id)).toBe(false);

    // Sealed days carry their seal, the unsealed day none; the cited seals are the ones in the file.
    const day2 = new Date(f.d0 + 2 * DAY_MS).toISOString().slice(0, 10);
    expect(inLine.filter((r) => r.hour_start_utc.startsWith(day2)).every((r) => r.seal_hash === '')).toBe(true);
    expect(new Set(records.filter((r) => r.seal_hash).map((r) => r.seal_hash))).toEqual(new Set(invoice.cited.seals.map((s) => s.hash)));
    expect(invoice.cited.seals).toHaveLength(2);

    // Times in UTC and in the host's zone (New York: UTC−5 in winter, UTC−4 in summer).
    const first = inLine[0]!;
    expect(first.hour_start_utc).toBe(new Date(Number(first.hour_start_ms)).toISOString());
    expect(first.hour_start_host).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00-0[45]:00$/);
    expect(Date.parse(first.hour_start_host)).toBe(Number(first.hour_start_ms));

    const report = await verifyEvidence(csv);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.name.includes(' seal ')).length).toBe(2);
    expect(report.checks.some((c) => c.name.endsWith(' chain') && c.ok)).toBe(true);
  });

  it('defuses spreadsheet formulas in text cells and quotes what needs quoting', async () => {
    const f = await evidenceFixture('Evidence Formula Host');
    const invoice = await aliceEnergyInvoice(f, 'metered', 'USD');
    const csv = await (await getPage(`/admin/invoices/${invoice.invoiceId}/lines/${invoice.lineId}/evidence.csv`, { cookie: f.host.owner.cookie })).text();
    const serial = f.units[0]!.serial!;
    // On the wire: apostrophe-prefixed, quoted (it contains quotes and a comma), quotes doubled.
    expect(csv).toContain(`"'${serial.replace(/"/g, '""')}"`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
    const rows = recordsOf(csv).filter((r) => r.unit_id === f.units[0]!.minerId);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.unit_serial === `'${serial}`)).toBe(true);
    expect((await verifyEvidence(csv)).ok).toBe(true);
  });

  it('a tampered file fails verification, naming the seal and the line total', async () => {
    const f = await evidenceFixture('Evidence Tamper Host');
    const invoice = await aliceEnergyInvoice(f, 'metered', 'USD');
    const csv = await (await getPage(`/admin/invoices/${invoice.invoiceId}/lines/${invoice.lineId}/evidence.csv`, { cookie: f.host.owner.cookie })).text();
    const lines = csv.split('\r\n');
    // A billed, sealed row of the unit whose serial needs no quoting, so splitting on commas is safe.
    const inLineAt = EVIDENCE_COLUMNS.indexOf('in_line');
    const target = lines.findIndex((l) => {
      const c = l.split(',');
      return c[0] === 'usage' && c[EVIDENCE_COLUMNS.indexOf('unit_id')] === f.units[1]!.minerId && c[inLineAt] === '1' && c[EVIDENCE_COLUMNS.indexOf('seal_hash')] !== '';
    });
    expect(target).toBeGreaterThan(0);
    const cells = lines[target]!.split(',');
    const whAt = EVIDENCE_COLUMNS.indexOf('energy_wh');
    const billedAt = EVIDENCE_COLUMNS.indexOf('billed_wh');
    const exactAt = EVIDENCE_COLUMNS.indexOf('amount_exact');
    const shift = (i: number) => (cells[i] = String(Number(cells[i]) + 1));
    shift(whAt);
    shift(billedAt);
    // The row stays self-consistent, so what fails is the seal and the line total, not the row.
    cells[exactAt] = exactAmountText(Number(cells[billedAt]), invoice.rate);
    lines[target] = cells.join(',');
    const report = await verifyEvidence(lines.join('\r\n'));
    expect(report.ok).toBe(false);
    const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed.some((name) => name.includes(' seal '))).toBe(true);
    expect(failed.some((name) => name.endsWith(' energy'))).toBe(true);
  });
});

describe('adjustment line evidence', () => {
  it('lists the adjustments with the Wh each adds, summing to the line', async () => {
    const f = await evidenceFixture('Evidence Adjustment Host');
    const hour = f.d0 + 3 * HOUR_MS;
    const [before] = await db().select().from(usageHourly).where(eq(usageHourly.minerId, f.units[0]!.minerId)).all().then((rows) => rows.filter((r) => r.hourStart === hour));
    // Two late replays of one sealed hour, and a new hour in a sealed day.
    await upsertUsageLikeSiteState(f.host, f.siteId, [{ ...before!, energySource: 'miner', energyWh: before!.energyWh! + 40 }]);
    await upsertUsageLikeSiteState(f.host, f.siteId, [{ ...before!, energySource: 'miner', energyWh: before!.energyWh! + 55 }]);
    await upsertUsageLikeSiteState(f.host, f.siteId, [{ minerId: f.units[1]!.minerId, siteId: f.siteId, hourStart: f.d0 + DAY_MS + 20 * HOUR_MS, energyWh: 900 }]);
    const adjustments = await listAdjustments(db(), f.host.hostId, f.alice.customer.id, { unbilled: true });
    expect(adjustments.map((a) => a.deltaWh)).toEqual([40, 15, 900]);
    const energyWh = 955;
    const invoiceId = await insertInvoice(f.host, f.alice.customer.id, f.window);
    const line = await insertAdjustmentLine(
      f.host,
      invoiceId,
      { v: 1, customerId: f.alice.customer.id, contractId: crypto.randomUUID(), rateMicrosPerKwh: 70_000, currency: 'USD', adjustmentIds: adjustments.map((a) => a.id) },
      energyWh,
    );
    const csv = await (await getPage(`/admin/invoices/${invoiceId}/lines/${line.id}/evidence.csv`, { cookie: f.host.owner.cookie })).text();
    const records = recordsOf(csv);
    const rows = records.filter((r) => r.record_type === 'adjustment');
    expect(rows.map((r) => [r.old_energy_wh, r.new_energy_wh, r.billed_wh])).toEqual([
      [String(before!.energyWh), String(before!.energyWh! + 40), '40'],
      [String(before!.energyWh! + 40), String(before!.energyWh! + 55), '15'],
      ['0', '900', '900'],
    ]);
    expect(records.find((r) => r.record_type === 'total')).toMatchObject({ billed_wh: '955', amount_minor: String(energyAmountMinor(955, 70_000, 'USD')) });
    expect((await verifyEvidence(csv)).ok).toBe(true);
  });
});

describe('evidence tenancy', () => {
  it('staff see only their host’s invoices; a signed-out request goes to sign-in', async () => {
    const f = await evidenceFixture('Evidence Tenancy Host');
    const invoice = await aliceEnergyInvoice(f, 'metered', 'USD');
    const path = `/admin/invoices/${invoice.invoiceId}/lines/${invoice.lineId}/evidence.csv`;
    const other = await createHost('Evidence Other Host');
    expect((await getPage(path, { cookie: other.owner.cookie })).status).toBe(404);
    // A line id from another invoice of the host is not this invoice's line.
    const second = await aliceEnergyInvoice(f, 'spec', 'USD');
    expect((await getPage(`/admin/invoices/${invoice.invoiceId}/lines/${second.lineId}/evidence.csv`, { cookie: f.host.owner.cookie })).status).toBe(404);
    const anonymous = await getPage(path);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('Location')).toContain('/login');
  });

  it('portal members download their own issued invoices only: not drafts, not another customer’s', async () => {
    const f = await evidenceFixture('Evidence Portal Host');
    const invoice = await aliceEnergyInvoice(f, 'metered', 'USD');
    const draft = await aliceEnergyInvoice(f, 'metered', 'USD', { status: 'draft' });
    const path = (i: { invoiceId: string; lineId: string }, base = f.alice.base) => `${base}/invoices/${i.invoiceId}/lines/${i.lineId}/evidence.csv`;

    const own = await getPage(path(invoice), { cookie: f.alice.cookie });
    expect(own.status).toBe(200);
    expect((await verifyEvidence(await own.text())).ok).toBe(true);
    expect((await getPage(path(draft), { cookie: f.alice.cookie })).status).toBe(404);
    expect((await getPage(path(invoice), { cookie: f.bob.cookie })).status).toBe(404);
    expect((await getPage(path(invoice))).status).toBe(303);
    // A member of another host, on that host's portal, cannot reach it either.
    const other = await createHost('Evidence Portal Other');
    const stranger = await portalCustomer(other, 'Stranger');
    expect((await getPage(path(invoice, stranger.base), { cookie: stranger.cookie })).status).toBe(404);
    // Staff may read a draft's evidence (it is theirs to check before issuing).
    expect((await getPage(`/admin/invoices/${draft.invoiceId}/lines/${draft.lineId}/evidence.csv`, { cookie: f.host.owner.cookie })).status).toBe(200);
  });

  it('the API returns every evidenced line of the key’s host’s invoice in one file, 404 for another host, 401 without a key', async () => {
    const f = await evidenceFixture('Evidence Api Host');
    const invoice = await aliceEnergyInvoice(f, 'spec', 'USD');
    const key = await createApiKeyFor(f.host);
    const res = await api(`/api/v1/invoices/${invoice.invoiceId}/evidence.csv`, { key });
    expect(res.status).toBe(200);
    const csv = await res.text();
    expect(recordsOf(csv).filter((r) => r.record_type === 'total')).toHaveLength(1);
    expect((await verifyEvidence(csv)).ok).toBe(true);

    const other = await createHost('Evidence Api Other');
    const otherKey = await createApiKeyFor(other);
    const refused = await api(`/api/v1/invoices/${invoice.invoiceId}/evidence.csv`, { key: otherKey });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await api(`/api/v1/invoices/${invoice.invoiceId}/evidence.csv`)).status).toBe(401);
  });
});
