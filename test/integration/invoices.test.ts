import { env } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { staffActor } from '../../src/hosts/service';
import { activityLog, credits, customers, emailOutbox, invoiceLines, invoices, usageHourly, usageSealDays } from '../../src/db/schema';
import { discardDraft, generateInvoice, issueInvoice, markOverdue, previewInvoice, voidInvoice, createCorrectedInvoice } from '../../src/billing/invoices';
import { createHost, createTestCustomer, db, openDefaultCase } from '../helpers/fixtures';
import { billedCustomer, billingContract, billingSite, billingUnit, hour, setBilling, usageRows } from '../helpers/invoicing';

const emailEnv = { EMAIL_QUEUE: env.EMAIL_QUEUE, APP_HOST: 'hashyard.test', ENVIRONMENT: 'test' };

/** Hours of March 2026 (UTC) for each unit, with the given Wh per hour. */
function marchHours(units: string[], siteId: string, customerId: string, whPerHour: number, hours = 24, startIso = '2026-03-01T00:00:00Z') {
  const start = hour(startIso);
  return units.flatMap((minerId) => Array.from({ length: hours }, (_, h) => ({ minerId, siteId, customerId, hourStart: start + h * 3_600_000, energyWh: whPerHour })));
}

async function linesOf(invoiceId: string) {
  return db().select().from(invoiceLines).where(eq(invoiceLines.invoiceId, invoiceId)).orderBy(invoiceLines.position);
}

describe('invoice lines', () => {
  it('bills metered energy per unit at the site rate, rounded once per line', async () => {
    const host = await createHost();
    const { customer, siteId, units } = await billedCustomer(host);
    await billingContract(host, customer.id, { minerIds: units });
    // 2 units x 24 h x 3,251 Wh = 156,048 Wh = 156.048 kWh x 0.08 = 12.48384 → 12.48
    await usageRows(host, marchHours(units, siteId, customer.id, 3251));
    // Another customer's hour on the same unit (before re-assignment) is never billed here.
    await usageRows(host, [{ minerId: units[0]!, siteId, customerId: null, hourStart: hour('2026-03-05T00:00:00Z'), energyWh: 9999 }]);
    // An hour outside the period is not billed.
    await usageRows(host, [{ minerId: units[0]!, siteId, customerId: customer.id, hourStart: hour('2026-04-01T00:00:00Z'), energyWh: 9999 }]);

    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    expect(preview.blockers).toEqual([]);
    const energy = preview.lines.filter((l) => l.kind === 'energy');
    expect(energy).toHaveLength(1);
    expect(energy[0]).toMatchObject({ energyWh: 156_048, rateMicros: 80_000, unitCount: 2, amountMinor: 1248 });
    expect(preview.totalMinor).toBe(preview.lines.reduce((s, l) => s + l.amountMinor, 0));
  });

  it('computes spec kWh from nominal power and hours online, and blocks a unit without nominal power', async () => {
    const host = await createHost();
    const { customer, siteId, units } = await billedCustomer(host);
    const bare = await billingUnit(host, customer.id, siteId, { nominalPowerW: null });
    await billingContract(host, customer.id, { minerIds: [...units, bare], kwhSource: 'spec', energyRateMicrosPerKwh: 100_000 });
    await usageRows(host, [
      // 3,250 W x 1,801 s / 3,600 = 1,625.90… → 1,626 Wh (half up per row)
      { minerId: units[0]!, siteId, customerId: customer.id, hourStart: hour('2026-03-02T00:00:00Z'), energyWh: 1, onlineSeconds: 1801 },
      // 3,250 W x 3,600 s → 3,250 Wh
      { minerId: units[1]!, siteId, customerId: customer.id, hourStart: hour('2026-03-02T00:00:00Z'), energyWh: 1, onlineSeconds: 3600 },
      { minerId: bare, siteId, customerId: customer.id, hourStart: hour('2026-03-02T00:00:00Z'), energyWh: 1, onlineSeconds: 3600 },
    ]);
    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    const energy = preview.lines.find((l) => l.kind === 'energy')!;
    expect(energy.energyWh).toBe(1626 + 3250);
    expect(energy.amountMinor).toBe(49); // 4.876 kWh x 0.10 = 0.4876
    expect(preview.blockers.join(' ')).toMatch(/no nominal power/);
  });

  it('derives kWh from J/TH x TH delivered for a hashrate contract', async () => {
    const host = await createHost();
    const { customer, siteId, units } = await billedCustomer(host);
    await billingContract(host, customer.id, { minerIds: [units[0]!], kwhSource: 'hashrate', efficiencyMjPerTh: 21_500 });
    // 21.5 J/TH x 100 TH/s x 3,600 s / 3,600 = 2,150 Wh
    await usageRows(host, [{ minerId: units[0]!, siteId, customerId: customer.id, hourStart: hour('2026-03-03T00:00:00Z'), energyWh: 1, avgHashrateMths: 100_000 }]);
    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    expect(preview.lines.find((l) => l.kind === 'energy')).toMatchObject({ energyWh: 2150, amountMinor: 17 });
  });

  it('prorates fixed fees by day and adds the setup fee and deposit in the first period', async () => {
    const host = await createHost();
    const { customer, units } = await billedCustomer(host);
    // Starts 2026-03-11: covers 21 of March's 31 days. 2 units x $150 x 21/31 = $203.225… → $203.23
    await billingContract(host, customer.id, { minerIds: units, pricing: 'fixed_per_unit', kwhSource: null, monthlyFeeMinor: 15_000, startDate: '2026-03-11', setupFeeMinor: 5_000, depositMinor: 30_000 });
    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    expect(preview.lines.map((l) => [l.kind, l.amountMinor, l.taxable])).toEqual([
      ['fixed_fee', 20_323, true],
      ['setup_fee', 5_000, true],
      ['setup_fee', 30_000, false],
    ]);
    const april = await previewInvoice(db(), host.hostId, customer.id, '2026-04');
    expect(april.lines.map((l) => [l.kind, l.amountMinor])).toEqual([['fixed_fee', 30_000]]);
  });

  it('bills leases, O&M and Infinity hashrate', async () => {
    const host = await createHost();
    const { customer, units } = await billedCustomer(host);
    await billingContract(host, customer.id, { kind: 'lease', pricing: null, kwhSource: null, minerIds: units, monthlyFeeMinor: 40_000 });
    await billingContract(host, customer.id, { kind: 'om', pricing: null, kwhSource: null, monthlyFeeMinor: 250_000 });
    // 12.5 TH/s x 31 days x 0.055 USD/TH/day = 21.3125 → 21.31
    await billingContract(host, customer.id, { kind: 'infinity', pricing: null, kwhSource: null, infinityMths: 12_500, priceMicrosPerThDay: 55_000 });
    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    expect(preview.lines.map((l) => [l.kind, l.amountMinor]).sort()).toEqual([
      ['infinity', 2_131],
      ['lease_fee', 80_000],
      ['om_fee', 250_000],
    ]);
  });

  it('adds tax once on the taxable lines, and none for a tax-exempt customer', async () => {
    const host = await createHost();
    await setBilling(host, { taxEnabled: true, taxLabel: 'Sales tax', taxRateBps: 825 });
    const { customer, units } = await billedCustomer(host);
    await billingContract(host, customer.id, { minerIds: units, pricing: 'fixed_per_unit', kwhSource: null, monthlyFeeMinor: 10_001, depositMinor: 5_000, startDate: '2026-03-01' });
    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    const tax = preview.lines.find((l) => l.kind === 'tax')!;
    expect(tax.amountMinor).toBe(1650); // 8.25 % of 200.02 = 16.50165 → 16.50 (the deposit is not taxed)
    expect(preview.totalMinor).toBe(20_002 + 5_000 + 1650);

    await db().update(customers).set({ taxExempt: true }).where(eq(customers.id, customer.id));
    const exempt = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    expect(exempt.lines.some((l) => l.kind === 'tax')).toBe(false);
  });

  it('refuses a contract in another currency than the site rate without its own rate', async () => {
    const host = await createHost();
    const { customer, siteId, units } = await billedCustomer(host, { billing_currency: 'EUR' });
    await billingContract(host, customer.id, { minerIds: units, currency: 'EUR' });
    await usageRows(host, marchHours(units, siteId, customer.id, 1000, 2));
    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    expect(preview.currency).toBe('EUR');
    expect(preview.lines.filter((l) => l.kind === 'energy')).toHaveLength(0);
    expect(preview.blockers.join(' ')).toMatch(/no energy rate in EUR/);
  });

  it('assigns usage hours to the period by the host time zone', async () => {
    const host = await createHost();
    await db().run(`UPDATE hosts SET timezone = 'America/Chicago' WHERE id = '${host.hostId}'` as never);
    const { customer, siteId, units } = await billedCustomer(host);
    await billingContract(host, customer.id, { minerIds: [units[0]!] });
    await usageRows(host, [
      // 2026-03-01 05:00 UTC is midnight in Chicago (CST, UTC-6? no: -6 in winter) → 06:00 UTC is the first March hour.
      { minerId: units[0]!, siteId, customerId: customer.id, hourStart: hour('2026-03-01T05:00:00Z'), energyWh: 111 },
      { minerId: units[0]!, siteId, customerId: customer.id, hourStart: hour('2026-03-01T06:00:00Z'), energyWh: 222 },
    ]);
    const preview = await previewInvoice(db(), host.hostId, customer.id, '2026-03');
    expect(preview.period.fromMs).toBe(hour('2026-03-01T06:00:00Z'));
    expect(preview.lines.find((l) => l.kind === 'energy')!.energyWh).toBe(222);
  });
});

describe('generating and issuing', () => {
  async function setup() {
    const host = await createHost();
    const { customer, siteId, units } = await billedCustomer(host);
    await billingContract(host, customer.id, { minerIds: units });
    await usageRows(host, marchHours(units, siteId, customer.id, 3000, 10));
    return { host, customer, siteId, units, actor: staffActor(host.owner.session) };
  }

  it('regenerating a period never makes a second invoice, and replaces a draft’s lines', async () => {
    const { host, customer, siteId, units, actor } = await setup();
    const first = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    expect(first.outcome).toBe('created');
    await usageRows(host, [{ minerId: units[0]!, siteId, customerId: customer.id, hourStart: hour('2026-03-20T00:00:00Z'), energyWh: 5000 }]);
    const second = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    expect(second.outcome).toBe('regenerated');
    expect(second.invoice.id).toBe(first.invoice.id);
    const rows = await db().select().from(invoices).where(eq(invoices.customerId, customer.id));
    expect(rows).toHaveLength(1);
    const lines = await linesOf(first.invoice.id);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.energyWh).toBe(2 * 10 * 3000 + 5000);
    expect(rows[0]!.totalMinor).toBe(lines.reduce((s, l) => s + l.amountMinor, 0));
  });

  it('two generations racing make exactly one invoice with one set of lines', async () => {
    const { host, customer, actor } = await setup();
    const results = await Promise.all([1, 2, 3].map(() => generateInvoice(db(), host.hostId, customer.id, '2026-03', actor)));
    const rows = await db().select().from(invoices).where(eq(invoices.customerId, customer.id));
    expect(rows).toHaveLength(1);
    expect(await linesOf(rows[0]!.id)).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
  });

  it('issues with a gapless per-year number, dated in the host zone, and emails the billing address', async () => {
    const { host, customer, actor } = await setup();
    await setBilling(host, { invoicePrefix: 'TM', netDays: 30 });
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    const now = hour('2026-04-03T12:00:00Z');
    const issued = await issueInvoice(db(), emailEnv, host.hostId, invoice.id, actor, now);
    expect(issued).toMatchObject({ status: 'issued', number: 'TM-2026-0001', numberSeq: 1, issuedOn: '2026-04-03', dueOn: '2026-05-03' });
    const mail = await db().select().from(emailOutbox).where(eq(emailOutbox.hostId, host.hostId));
    const invoiceMail = mail.filter((m) => m.template === 'invoice');
    expect(invoiceMail).toHaveLength(1);
    expect(invoiceMail[0]!.subject).toBe('Invoice TM-2026-0001 from Test Host');
    expect(JSON.parse(invoiceMail[0]!.payload).number).toBe('TM-2026-0001');
    expect(invoiceMail[0]!.toEmail).toBe(customer.contactEmail);
    await expect(issueInvoice(db(), emailEnv, host.hostId, invoice.id, actor, now + 1)).rejects.toThrow(/already issued/);
  });

  it('numbers invoices issued concurrently without gaps or repeats', async () => {
    const host = await createHost();
    const actor = staffActor(host.owner.session);
    const drafts = [];
    for (let i = 0; i < 6; i++) {
      const { customer, units } = await billedCustomer(host);
      await billingContract(host, customer.id, { minerIds: units, pricing: 'fixed_per_unit', kwhSource: null, monthlyFeeMinor: 1000 });
      drafts.push((await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor)).invoice);
    }
    await Promise.all(drafts.map((d, i) => issueInvoice(db(), emailEnv, host.hostId, d.id, actor, hour('2026-04-02T00:00:00Z') + i)));
    const rows = await db().select().from(invoices).where(eq(invoices.hostId, host.hostId));
    expect(rows.map((r) => r.numberSeq).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(rows.map((r) => r.number)).size).toBe(6);
  });

  it('holds the invoice of a customer in default: issued, never emailed', async () => {
    const { host, customer, actor } = await setup();
    await openDefaultCase(host, customer.id);
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    expect(invoice.held).toBe(true);
    const issued = await issueInvoice(db(), emailEnv, host.hostId, invoice.id, actor);
    expect(issued.status).toBe('issued');
    expect(issued.emailedAt).toBeNull();
    const mail = await db().select().from(emailOutbox).where(and(eq(emailOutbox.hostId, host.hostId), eq(emailOutbox.template, 'invoice')));
    expect(mail).toHaveLength(0);
  });

  it('refuses to issue while units lack what their kWh need', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host, { name: 'No spec', contact_email: 'nospec@example.com' });
    const siteId = await billingSite(host, { rateMicros: 50_000 });
    const unit = await billingUnit(host, customer.id, siteId, { nominalPowerW: null });
    await billingContract(host, customer.id, { minerIds: [unit], kwhSource: 'spec' });
    await usageRows(host, [{ minerId: unit, siteId, customerId: customer.id, hourStart: hour('2026-03-02T00:00:00Z'), energyWh: 0 }]);
    const actor = staffActor(host.owner.session);
    const { invoice, blockers } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    expect(blockers).toHaveLength(1);
    await expect(issueInvoice(db(), emailEnv, host.hostId, invoice.id, actor)).rejects.toThrow(/cannot be issued yet/);
    expect((await db().select().from(invoices).where(eq(invoices.id, invoice.id)))[0]!.status).toBe('draft');
  });

  it('marks past-due invoices overdue once, by each host’s own today', async () => {
    const { host, customer, actor } = await setup();
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    await issueInvoice(db(), emailEnv, host.hostId, invoice.id, actor, hour('2026-04-01T10:00:00Z'));
    expect(await markOverdue(db(), hour('2026-04-16T10:00:00Z'))).toBe(0); // due 2026-04-16: not past yet
    expect(await markOverdue(db(), hour('2026-04-17T01:00:00Z'))).toBeGreaterThanOrEqual(1);
    const [row] = await db().select().from(invoices).where(eq(invoices.id, invoice.id));
    expect(row!.status).toBe('overdue');
    // Run again (at-least-once cron): nothing more to mark, and one activity entry only.
    expect(await markOverdue(db(), hour('2026-04-17T01:30:00Z'))).toBe(0);
    const entries = await db().select().from(activityLog).where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'invoice.overdue')));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actorKind).toBe('system');
  });

  it('voids with a reason, keeps the number, and a corrected invoice replaces it', async () => {
    const { host, customer, actor } = await setup();
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    const issued = await issueInvoice(db(), emailEnv, host.hostId, invoice.id, actor);
    await expect(voidInvoice(db(), host.hostId, invoice.id, '', actor)).rejects.toThrow();
    const voided = await voidInvoice(db(), host.hostId, invoice.id, 'Wrong rate', actor);
    expect(voided).toMatchObject({ status: 'void', voidReason: 'Wrong rate', number: issued.number });
    const corrected = await createCorrectedInvoice(db(), host.hostId, invoice.id, actor);
    expect(corrected.outcome).toBe('created');
    expect(corrected.invoice.replacesInvoiceId).toBe(invoice.id);
    expect(corrected.invoice.id).not.toBe(invoice.id);
  });

  it('discards a draft but never an issued invoice', async () => {
    const { host, customer, actor } = await setup();
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    await discardDraft(db(), host.hostId, invoice.id, actor);
    expect(await db().select().from(invoices).where(eq(invoices.id, invoice.id))).toHaveLength(0);
    const again = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    await issueInvoice(db(), emailEnv, host.hostId, again.invoice.id, actor);
    await expect(discardDraft(db(), host.hostId, again.invoice.id, actor)).rejects.toThrow(/Only a draft/);
  });

  it('bills late usage on a sealed day once, as its real change, on the next invoice', async () => {
    const { host, customer, siteId, units, actor } = await setup();
    // March is sealed at the site; then one hour is replayed twice (3,000 → 3,400 → 3,500 Wh).
    await db().insert(usageSealDays).values({ siteId, day: '2026-03-01', hostId: host.hostId, sealedAt: Date.now() });
    const late = and(eq(usageHourly.minerId, units[0]!), eq(usageHourly.hourStart, hour('2026-03-01T02:00:00Z')));
    await db().update(usageHourly).set({ energyWh: 3400 }).where(late);
    await db().update(usageHourly).set({ energyWh: 3500 }).where(late);
    const [row] = await db().select().from(usageHourly).where(late);
    expect(row!.energyWh).toBe(3000); // the sealed row never changes
    const april = await generateInvoice(db(), host.hostId, customer.id, '2026-04', actor);
    const adjustment = (await linesOf(april.invoice.id)).filter((l) => l.kind === 'adjustment');
    expect(adjustment).toHaveLength(1);
    expect(adjustment[0]).toMatchObject({ energyWh: 500, amountMinor: 4 }); // 0.5 kWh x 0.08
    // Regenerating the draft keeps them; another period's invoice does not bill them again.
    const again = await generateInvoice(db(), host.hostId, customer.id, '2026-04', actor);
    expect((await linesOf(again.invoice.id)).filter((l) => l.kind === 'adjustment')[0]!.energyWh).toBe(500);
    const may = await previewInvoice(db(), host.hostId, customer.id, '2026-05');
    expect(may.lines.some((l) => l.kind === 'adjustment')).toBe(false);
  });

  it('applies the customer’s credit to the next invoice it issues', async () => {
    const { host, customer, actor } = await setup();
    await db().insert(credits).values({ id: crypto.randomUUID(), hostId: host.hostId, customerId: customer.id, kind: 'overpayment', amountMinor: 100, remainingMinor: 100, currency: 'USD', reason: 'Overpaid', createdAt: Date.now() });
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    expect(invoice.totalMinor).toBe(480); // 2 x 10 h x 3 kWh x 0.08
    const issued = await issueInvoice(db(), emailEnv, host.hostId, invoice.id, actor);
    expect(issued).toMatchObject({ paidMinor: 100, status: 'partially_paid' });
    const [credit] = await db().select().from(credits).where(eq(credits.customerId, customer.id));
    expect(credit!.remainingMinor).toBe(0);
  });

  it('never reads another host’s invoice', async () => {
    const { host, customer, actor } = await setup();
    const other = await createHost();
    const { invoice } = await generateInvoice(db(), host.hostId, customer.id, '2026-03', actor);
    await expect(issueInvoice(db(), emailEnv, other.hostId, invoice.id, staffActor(other.owner.session))).rejects.toThrow(/not found/);
    await expect(previewInvoice(db(), other.hostId, customer.id, '2026-03')).rejects.toThrow(/not found/);
  });
});
