import { env, SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { invoiceEvidenceCsv } from '../../src/billing/evidence';
import { generateInvoice, issueInvoice, previewInvoice } from '../../src/billing/invoices';
import { EVIDENCE_COLUMNS, parseCsv, verifyEvidence } from '../../src/billing/seal-format.js';
import { activityLog, invoiceLines, invoices, invoiceUnitFees, miners } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { createHost, db, getPage, ORIGIN, postForm } from '../helpers/fixtures';
import { billedCustomer, billingContract, billingUnit, blockedSetup, knownHours, setBilling, unknownHours } from '../helpers/invoicing';
import { acceptInvite, setHostSlug, staffInvite } from '../helpers/portal';

/**
 * Issue 17: a unit whose energy is unknown blocks its energy line; staff may bill it a fixed fee
 * for the period instead (src/billing/unit-fees.ts). The fee replaces the unit's energy for the
 * whole period, so its known hours are not billed as energy either.
 */

const emailEnv = { EMAIL_QUEUE: env.EMAIL_QUEUE, APP_HOST: 'hashyard.test', ENVIRONMENT: 'test' };
const PERIOD = '2026-03';

const feeRows = (hostId: string) => db().select().from(invoiceUnitFees).where(eq(invoiceUnitFees.hostId, hostId)).all();
const feeActivity = (hostId: string) =>
  db()
    .select()
    .from(activityLog)
    .where(and(eq(activityLog.hostId, hostId)))
    .all()
    .then((rows) => rows.filter((r) => r.action.startsWith('invoice.unit_fee')));

const sumOfLines = (lines: { amountMinor: number }[]) => lines.reduce((s, l) => s + l.amountMinor, 0);

describe('billing blocked units a fixed fee', () => {
  it('the preview lists the blocked unit; a fee replaces its energy with one fixed-fee line, exact money, logged with the actor', async () => {
    const { host, customer, bare } = await blockedSetup();
    await setBilling(host, { taxEnabled: true, taxRateBps: 825, taxLabel: 'Sales tax' });
    const before = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(before.blockedUnits).toEqual([{ minerId: bare, serial: 'SN-NO-POWER', mac: null, model: 'S19 Pro', hours: 37, contractNames: ['Hosting'] }]);
    const page = await (await getPage(`/admin/invoices/new?customer_id=${customer.id}&period=${PERIOD}`, { cookie: host.owner.cookie })).text();
    expect(page).toContain('Bill these units a fixed fee instead of energy');
    expect(page).toContain(`value="${bare}"`);

    const res = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: bare, fee: '150.00', note: 'PDU not installed yet', from: 'preview' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/admin/invoices/new?customer_id=${customer.id}&period=${PERIOD}&done=fees`);

    const preview = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(preview.blockers).toEqual([]);
    expect(preview.blockedUnits).toEqual([]);
    const fee = preview.lines.filter((l) => l.kind === 'unit_fee');
    expect(fee).toHaveLength(1);
    expect(fee[0]).toMatchObject({
      description: 'S19 Pro #SN-NO-POWER — fixed fee, no power data for 37 h',
      amountMinor: 15_000,
      unitCount: 1,
      taxable: true,
      energyWh: null,
    });
    expect(fee[0]!.quantityText).toContain('3 h with 9.300 kWh not billed');
    // Energy is billed for the two other units only (2 × 2 h × 3,000 Wh at 0.08 USD/kWh = 0.96 USD).
    const energy = preview.lines.filter((l) => l.kind === 'energy');
    expect(energy).toHaveLength(1);
    expect(energy[0]).toMatchObject({ energyWh: 12_000, unitCount: 2, amountMinor: 96 });
    // Tax once over the taxable lines, half up: 8.25 % of 150.96 = 12.4542 → 12.45.
    expect(preview.lines.find((l) => l.kind === 'tax')!.amountMinor).toBe(1245);
    expect(preview.totalMinor).toBe(sumOfLines(preview.lines));
    expect(preview.totalMinor).toBe(15_000 + 96 + 1245);

    expect(await feeRows(host.hostId)).toMatchObject([{ customerId: customer.id, periodKey: PERIOD, minerId: bare, currency: 'USD', amountMinor: 15_000, note: 'PDU not installed yet', setBy: 'Test Host Owner' }]);
    const [entry] = await feeActivity(host.hostId);
    expect(entry).toMatchObject({ action: 'invoice.unit_fee_set', actorKind: 'staff', actorId: host.owner.userId, actorLabel: 'Test Host Owner', customerId: customer.id });
    expect(JSON.parse(entry!.changes!)).toMatchObject({ units: [null, 'SN-NO-POWER'], fee_per_unit: [null, '150.00 USD'], period: [null, PERIOD] });

    const after = await (await getPage(`/admin/invoices/new?customer_id=${customer.id}&period=${PERIOD}&done=fees`, { cookie: host.owner.cookie })).text();
    expect(after).toContain('Fixed fee saved');
    expect(after).toContain('S19 Pro #SN-NO-POWER — fixed fee, no power data for 37 h');
    expect(after).toContain('PDU not installed yet');
  });

  it('a generated draft keeps the choice: regenerating never duplicates the line, it issues, and its evidence shows the fee and why', async () => {
    const { host, customer, bare } = await blockedSetup();
    await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: bare, fee: '150', note: 'PDU not installed yet' }, { cookie: host.owner.cookie });
    const actor = staffActor(host.owner.session);
    const first = await generateInvoice(db(), host.hostId, customer.id, PERIOD, actor);
    expect(first.blockers).toEqual([]);
    const again = await postForm('/admin/invoices', { customer_id: customer.id, period: PERIOD }, { cookie: host.owner.cookie });
    expect(again.status).toBe(303);
    const lines = await db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, first.invoice.id)).all();
    expect(lines.filter((l) => l.kind === 'unit_fee')).toHaveLength(1);
    const [stored] = await db().select().from(invoices).where(eq(invoices.id, first.invoice.id));
    expect(stored!.totalMinor).toBe(sumOfLines(lines));
    expect(stored!.totalMinor).toBe(15_000 + 96);

    const issued = await issueInvoice(db(), emailEnv, host.hostId, first.invoice.id, actor);
    expect(issued.status).toBe('issued');

    const feeLine = lines.find((l) => l.kind === 'unit_fee')!;
    const res = await getPage(`/admin/invoices/${first.invoice.id}/lines/${feeLine.id}/evidence.csv`, { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    const csv = await res.text();
    const records = parseCsv(csv).filter((r) => r.length > 1);
    const col = (name: (typeof EVIDENCE_COLUMNS)[number]) => EVIDENCE_COLUMNS.indexOf(name);
    expect(records[0]).toEqual([...EVIDENCE_COLUMNS]);
    const usage = records.filter((r) => r[col('record_type')] === 'usage');
    expect(usage).toHaveLength(40);
    expect(usage.filter((r) => r[col('energy_source')] === 'unknown' && r[col('energy_wh')] === '')).toHaveLength(37);
    expect(usage.every((r) => r[col('in_line')] === '0')).toBe(true);
    const total = records.find((r) => r[col('record_type')] === 'total')!;
    expect(total[col('line_kind')]).toBe('unit_fee');
    expect(total[col('amount_minor')]).toBe('15000');
    expect(total[col('unit_serial')]).toBe('SN-NO-POWER');
    expect(total[col('note')]).toContain('Fixed fee of 150.00 USD for the period instead of energy, set by Test Host Owner');
    expect(total[col('note')]).toContain('37 h without power data');
    expect(total[col('note')]).toContain('3 h with power data (9.300 kWh) not billed as energy');
    expect(total[col('note')]).toContain('note: PDU not installed yet');
    const report = await verifyEvidence(csv);
    expect(report.ok, JSON.stringify(report.checks)).toBe(true);
    expect(report.checks.some((c) => c.name.endsWith('fixed fee') && c.ok)).toBe(true);

    // The invoice's whole evidence file carries the fee line next to the energy line, and verifies.
    const whole = await invoiceEvidenceCsv(db(), host.hostId, first.invoice.id, null);
    const kinds = new Set(parseCsv(whole.csv).slice(1).map((r) => r[col('line_kind')]));
    expect(kinds).toEqual(new Set(['energy', 'unit_fee', undefined].filter(Boolean)));
    expect((await verifyEvidence(whole.csv)).ok).toBe(true);
    // The printed invoice links the fee line's evidence.
    const doc = await (await getPage(`/admin/invoices/${first.invoice.id}`, { cookie: host.owner.cookie })).text();
    expect(doc).toContain(`/lines/${feeLine.id}/evidence.csv`);

    // The customer sees the fee line on their invoice in the portal, with the same evidence.
    const slug = await setHostSlug(host);
    const email = `fee-${customer.id.slice(0, 6)}@example.com`;
    const { token } = await staffInvite(host, customer.id, email);
    const { cookie: portalCookie } = await acceptInvite(`/host/${slug}`, token, email);
    const portalDoc = await (await getPage(`/host/${slug}/invoices/${first.invoice.id}`, { cookie: portalCookie })).text();
    expect(portalDoc).toContain('S19 Pro #SN-NO-POWER — fixed fee, no power data for 37 h');
    const portalCsv = await getPage(`/host/${slug}/invoices/${first.invoice.id}/lines/${feeLine.id}/evidence.csv`, { cookie: portalCookie });
    expect(portalCsv.status).toBe(200);
    expect(await portalCsv.text()).toBe(csv);

    // Issued: the fee can no longer change (void and correct instead), and nothing is written.
    const late = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: bare, fee: '99' }, { cookie: host.owner.cookie });
    expect(late.status).toBe(409);
    expect((await feeRows(host.hostId)).map((f) => f.amountMinor)).toEqual([15_000]);
  });

  it('set on a draft, the draft is regenerated in the same step; removing it brings the blocker back', async () => {
    const { host, customer, bare } = await blockedSetup();
    const draft = await generateInvoice(db(), host.hostId, customer.id, PERIOD, staffActor(host.owner.session));
    expect(draft.blockers.join(' ')).toContain('Unit SN-NO-POWER has 37 hours with unknown energy');
    const draftPage = await (await getPage(`/admin/invoices/${draft.invoice.id}`, { cookie: host.owner.cookie })).text();
    expect(draftPage).toContain('Unit SN-NO-POWER has 37 hours with unknown energy');
    expect(draftPage).toContain('Bill these units a fixed fee instead of energy');

    const res = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: bare, fee: '75.50', from: 'draft' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/admin/invoices/${draft.invoice.id}?done=fees`);
    let lines = await db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, draft.invoice.id)).all();
    expect(lines.filter((l) => l.kind === 'unit_fee').map((l) => l.amountMinor)).toEqual([7_550]);
    let [stored] = await db().select().from(invoices).where(eq(invoices.id, draft.invoice.id));
    expect(stored!.totalMinor).toBe(sumOfLines(lines));
    const shown = await (await getPage(`/admin/invoices/${draft.invoice.id}`, { cookie: host.owner.cookie })).text();
    expect(shown).toContain('75.50 USD');
    expect(shown).not.toContain('Unit SN-NO-POWER has 37 hours with unknown energy');

    // Changing the amount updates the one stored choice, never adds a second.
    await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: bare, fee: '80', from: 'draft' }, { cookie: host.owner.cookie });
    expect((await feeRows(host.hostId)).map((f) => f.amountMinor)).toEqual([8_000]);
    lines = await db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, draft.invoice.id)).all();
    expect(lines.filter((l) => l.kind === 'unit_fee').map((l) => l.amountMinor)).toEqual([8_000]);

    const removed = await postForm('/admin/invoices/unit-fees/remove', { customer_id: customer.id, period: PERIOD, miner_id: bare, from: 'draft' }, { cookie: host.owner.cookie });
    expect(removed.status).toBe(303);
    expect(await feeRows(host.hostId)).toEqual([]);
    lines = await db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, draft.invoice.id)).all();
    expect(lines.filter((l) => l.kind === 'unit_fee')).toEqual([]);
    [stored] = await db().select().from(invoices).where(eq(invoices.id, draft.invoice.id));
    expect(stored!.totalMinor).toBe(sumOfLines(lines));
    const preview = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(preview.blockers.join(' ')).toContain('Unit SN-NO-POWER has 37 hours with unknown energy');
    expect((await feeActivity(host.hostId)).map((a) => a.action)).toEqual(['invoice.unit_fee_set', 'invoice.unit_fee_set', 'invoice.unit_fee_removed']);
  });

  it('"all blocked units" bills each its own line, including a spec-priced unit without nominal power', async () => {
    const host = await createHost();
    const { customer, siteId } = await billedCustomer(host);
    const a = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-A' });
    const b = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-B' });
    await billingContract(host, customer.id, { minerIds: [a], name: 'Metered' });
    await billingContract(host, customer.id, { minerIds: [b], name: 'Spec', kwhSource: 'spec' });
    await unknownHours(host, a, siteId, customer.id, 5);
    await knownHours(host, [b], siteId, customer.id, 4);
    const before = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(before.blockedUnits.map((u) => [u.serial, u.hours])).toEqual([
      ['SN-A', 5],
      ['SN-B', 4],
    ]);
    const res = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, all_blocked: '1', fee: '20' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    const preview = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(preview.blockers).toEqual([]);
    expect(preview.lines.filter((l) => l.kind === 'unit_fee').map((l) => [l.description, l.amountMinor])).toEqual([
      ['Unit #SN-A — fixed fee, no power data for 5 h', 2_000],
      ['Unit #SN-B — fixed fee, no power data for 4 h', 2_000],
    ]);
    expect(preview.totalMinor).toBe(4_000);
  });

  it('a unit without a serial is named by its MAC, as the Equipment pages name it: blocker, choice, line, activity', async () => {
    const host = await createHost();
    const { customer, siteId } = await billedCustomer(host);
    const unit = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: null, mac: 'AA:BB:CC:00:11:22' });
    await db().update(miners).set({ model: 'S19 XP' }).where(eq(miners.id, unit));
    await billingContract(host, customer.id, { minerIds: [unit] });
    await unknownHours(host, unit, siteId, customer.id, 6);
    const before = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(before.blockers.join(' ')).toContain('Unit AA:BB:CC:00:11:22 has 6 hours with unknown energy');
    expect(before.blockers.join(' ')).not.toContain(unit);
    const page = await (await getPage(`/admin/invoices/new?customer_id=${customer.id}&period=${PERIOD}`, { cookie: host.owner.cookie })).text();
    expect(page).toContain('S19 XP #AA:BB:CC:00:11:22');

    const res = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: unit, fee: '30' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    const preview = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(preview.lines.filter((l) => l.kind === 'unit_fee').map((l) => l.description)).toEqual(['S19 XP #AA:BB:CC:00:11:22 — fixed fee, no power data for 6 h']);
    expect(preview.unitFees.map((f) => f.mac)).toEqual(['AA:BB:CC:00:11:22']);
    const set = (await feeActivity(host.hostId)).find((a) => a.action === 'invoice.unit_fee_set');
    expect(JSON.parse(set!.changes!).units).toEqual([null, 'AA:BB:CC:00:11:22']);
    // Removed, the activity names it the same way.
    const removed = await postForm(`/admin/invoices/unit-fees/remove`, { customer_id: customer.id, period: PERIOD, miner_id: unit }, { cookie: host.owner.cookie });
    expect(removed.status).toBe(303);
    const removal = (await feeActivity(host.hostId)).find((a) => a.action === 'invoice.unit_fee_removed');
    expect(JSON.parse(removal!.changes!).unit).toEqual(['AA:BB:CC:00:11:22', null]);
  });

  it('a fee stored in another currency than the invoice blocks instead of being billed', async () => {
    const { host, customer, bare } = await blockedSetup();
    const now = Date.now();
    await db().insert(invoiceUnitFees).values({ id: crypto.randomUUID(), hostId: host.hostId, customerId: customer.id, periodKey: PERIOD, minerId: bare, currency: 'EUR', amountMinor: 5_000, note: null, setBy: 'Someone', createdAt: now, updatedAt: now });
    const preview = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(preview.lines.filter((l) => l.kind === 'unit_fee')).toEqual([]);
    expect(preview.blockers.join(' ')).toContain('The fixed fee for unit SN-NO-POWER is in EUR, the invoice in USD: set it again in USD.');
    expect(preview.blockers.join(' ')).toContain('Unit SN-NO-POWER has 37 hours with unknown energy');
    // Setting it again in the invoice's currency replaces the stored row.
    expect((await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: bare, fee: '50' }, { cookie: host.owner.cookie })).status).toBe(303);
    expect((await feeRows(host.hostId)).map((f) => [f.currency, f.amountMinor])).toEqual([['USD', 5_000]]);
    expect((await previewInvoice(db(), host.hostId, customer.id, PERIOD)).blockers).toEqual([]);
  });

  it('a bad amount, note or choice of units is refused with field errors (422) and writes nothing', async () => {
    const { host, customer, bare, units } = await blockedSetup();
    const cookie = host.owner.cookie;
    const cases: [Record<string, string>, string, string][] = [
      [{ fee: '' }, 'fee', 'Enter the fee per unit in USD.'],
      [{ fee: 'abc' }, 'fee', 'Enter the fee per unit as an amount in USD, e.g. 150.00 (at most 2 decimals).'],
      [{ fee: '-5' }, 'fee', 'Enter the fee per unit as an amount in USD'],
      [{ fee: '1.234' }, 'fee', 'at most 2 decimals'],
      [{ fee: '0' }, 'fee', 'Enter a fee above zero.'],
      [{ fee: '1000000000' }, 'fee', 'Enter the fee per unit as an amount in USD'],
      [{ fee: '10', note: 'x'.repeat(201) }, 'note', 'Keep the note to 200 characters.'],
      [{ fee: '10', miner_ids: '' }, 'miner_ids', 'Choose at least one blocked unit.'],
      // A unit whose energy is known is not blocked: it cannot be billed a fee instead.
      [{ fee: '10', miner_ids: units[0]! }, 'miner_ids', 'Only units listed as blocked'],
    ];
    for (const [fields, field, message] of cases) {
      const res = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: bare, note: '', ...fields }, { cookie });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).toContain(`id="${field}-error"`);
    }
    // The typed values come back in the form.
    const again = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: PERIOD, miner_ids: bare, fee: '12,50', note: 'kept' }, { cookie });
    const html = await again.text();
    expect(html).toContain('value="12,50"');
    expect(html).toContain('value="kept"');
    expect(html).toMatch(new RegExp(`value="${bare}" checked`));
    const badPeriod = await postForm('/admin/invoices/unit-fees', { customer_id: customer.id, period: 'March', miner_ids: bare, fee: '10' }, { cookie });
    expect(badPeriod.status).toBe(422);
    expect(await feeRows(host.hostId)).toEqual([]);
    expect(await feeActivity(host.hostId)).toEqual([]);
  });

  it('several units picked by checkbox in one post', async () => {
    const host = await createHost();
    const { customer, siteId } = await billedCustomer(host);
    const a = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-C1' });
    const b = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-C2' });
    const c = await billingUnit(host, customer.id, siteId, { nominalPowerW: null, serial: 'SN-C3' });
    await billingContract(host, customer.id, { minerIds: [a, b, c] });
    for (const id of [a, b, c]) await unknownHours(host, id, siteId, customer.id, 2);
    const body = new URLSearchParams([
      ['customer_id', customer.id],
      ['period', PERIOD],
      ['miner_ids', a],
      ['miner_ids', c],
      ['fee', '5.25'],
    ]);
    const res = await postRepeated('/admin/invoices/unit-fees', body, host.owner.cookie);
    expect(res.status).toBe(303);
    expect((await feeRows(host.hostId)).map((f) => f.minerId).sort()).toEqual([a, c].sort());
    const preview = await previewInvoice(db(), host.hostId, customer.id, PERIOD);
    expect(preview.blockedUnits.map((u) => u.serial)).toEqual(['SN-C2']);
    expect(preview.lines.filter((l) => l.kind === 'unit_fee').map((l) => l.amountMinor)).toEqual([525, 525]);
  });
});

/** A form post with repeated fields (postForm takes one value per name). */
function postRepeated(path: string, body: URLSearchParams, cookie: string) {
  return SELF.fetch(`${ORIGIN}${path}`, { method: 'POST', body, redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: cookie } });
}
