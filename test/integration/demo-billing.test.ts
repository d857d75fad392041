import { env, SELF } from 'cloudflare:test';
import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { invoiceLines, invoices, payments } from '../../src/db/schema';
import { buildDemoBillingHistory } from '../../src/demo/billing-history';
import { createHost, createTestCustomer, db, getPage, ORIGIN, uniqueId } from '../helpers/fixtures';
import { billingContract, billingSite, billingUnit, hour, usageRows } from '../helpers/invoicing';

// `npm start`'s billing history (src/demo/billing-history.ts): the real engine run month by month
// over seeded usage, then the demo's payments.

const emailEnv = { EMAIL_QUEUE: env.EMAIL_QUEUE, APP_HOST: 'hashyard.test', ENVIRONMENT: 'test' };
const NOW = hour('2026-04-10T12:00:00Z');

/** A customer with two metered units at the one site, under a contract from January, and a day of usage each month. */
async function customerWithHistory(host: Awaited<ReturnType<typeof createHost>>, siteId: string) {
  const customer = await createTestCustomer(host, { name: `Demo ${uniqueId()}`, contact_email: `demo-${uniqueId()}@example.com` });
  const units = [await billingUnit(host, customer.id, siteId), await billingUnit(host, customer.id, siteId)];
  await billingContract(host, customer.id, { minerIds: units, startDate: '2026-01-01', endDate: '2026-12-31' });
  for (const month of ['01', '02', '03']) {
    await usageRows(
      host,
      units.flatMap((minerId) => Array.from({ length: 24 }, (_, h) => ({ minerId, siteId, customerId: customer.id, hourStart: hour(`2026-${month}-10T00:00:00Z`) + h * 3_600_000, energyWh: 3_000 }))),
    );
  }
  return customer;
}

const invoicesOf = (customerId: string) => db().select().from(invoices).where(eq(invoices.customerId, customerId)).orderBy(asc(invoices.periodKey)).all();

describe('the demo billing history', () => {
  it('issues each closed month, pays all but what is not due yet, half-pays for the partial payer and nothing for a defaulter', async () => {
    const host = await createHost('Demo Billing Host');
    const siteId = await billingSite(host, { rateMicros: 80_000 });
    const [payer, partial, defaulter] = [await customerWithHistory(host, siteId), await customerWithHistory(host, siteId), await customerWithHistory(host, siteId)];

    const result = await buildDemoBillingHistory(db(), emailEnv, [host.hostId], { defaulterIds: [defaulter.id], partialPayerIds: [partial.id], now: NOW });
    expect(result.invoices).toEqual({ issued: 9 });

    for (const customer of [payer, partial, defaulter]) {
      const rows = await invoicesOf(customer.id);
      expect(rows.map((r) => r.periodKey)).toEqual(['2026-01', '2026-02', '2026-03']);
      for (const inv of rows) {
        const lines = await db().select({ amount: invoiceLines.amountMinor }).from(invoiceLines).where(eq(invoiceLines.invoiceId, inv.id));
        expect(inv.totalMinor).toBe(lines.reduce((sum, l) => sum + l.amount, 0));
        expect(inv.totalMinor).toBeGreaterThan(0);
      }
    }
    const [jan, feb, mar] = await invoicesOf(payer.id);
    expect([jan!.status, feb!.status]).toEqual(['paid', 'paid']);
    expect(mar!.dueOn! >= '2026-04-10').toBe(true); // issued 2026-04-04 with 15 days to pay
    expect(mar!.status).toBe('issued');

    const partialMarch = (await invoicesOf(partial.id))[2]!;
    expect(partialMarch.status).toBe('partially_paid');
    expect(partialMarch.paidMinor).toBe(Math.floor(partialMarch.totalMinor / 2));

    const defaulted = await invoicesOf(defaulter.id);
    expect(defaulted.map((r) => r.status)).toEqual(['overdue', 'overdue', 'issued']);
    expect(defaulted.every((r) => r.paidMinor === 0)).toBe(true);
    expect(result.payments).toBe(2 + 3);

    // A second run (a restarted `npm start` without the route's guard) changes nothing.
    const again = await buildDemoBillingHistory(db(), emailEnv, [host.hostId], { defaulterIds: [defaulter.id], partialPayerIds: [partial.id], now: NOW });
    expect(again).toMatchObject({ invoices: {}, payments: 0 });
    const paymentRows = await db().select().from(payments).where(and(eq(payments.hostId, host.hostId)));
    expect(paymentRows).toHaveLength(5);
  }, 60_000); // seals a hundred days and bills three months: the whole engine, not a unit

  it('is a development-only door: the test and production environments answer 404', async () => {
    const res = await getPage('/dev/demo/billing-history');
    expect(res.status).toBe(404);
    const post = await SELF.fetch(`${ORIGIN}/dev/demo/billing-history`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"host_ids":["x"]}' });
    expect(post.status).toBe(404);
  });
});
