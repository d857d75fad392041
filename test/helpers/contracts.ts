import { and, eq } from 'drizzle-orm';
import type { Actor } from '../../src/activity/service';
import { activityLog, contractMiners, contracts, miners } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { db, type TestHost } from './fixtures';
import { makeMiner } from './equipment';

export const actorOf = (host: TestHost): Actor => staffActor(host.owner.session);

/** A unit assigned to the customer (hosted contracts cover these). */
export async function customerUnit(host: TestHost, customerId: string, fields: Record<string, unknown> = {}) {
  const miner = await makeMiner(host, { status: 'unassigned', ...fields });
  await db().update(miners).set({ customerId, status: 'assigned' }).where(eq(miners.id, miner.id));
  return miner;
}

/** A unit in the host's unassigned stock (leases cover these). */
export const stockUnit = (host: TestHost, fields: Record<string, unknown> = {}) => makeMiner(host, { status: 'unassigned', ...fields });

export const contractRow = (id: string) => db().select().from(contracts).where(eq(contracts.id, id)).get();
export const contractsOf = (host: TestHost) => db().select().from(contracts).where(eq(contracts.hostId, host.hostId)).all();
export const minerRowOf = (id: string) => db().select().from(miners).where(eq(miners.id, id)).get();
export const contractUnitRows = (contractId: string) => db().select().from(contractMiners).where(eq(contractMiners.contractId, contractId)).all();

export const contractActivity = (host: TestHost, action: string) =>
  db()
    .select()
    .from(activityLog)
    .where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, action)))
    .all();

/** Valid step-1 terms per kind (decimal text, as the form and API send them). */
export const TERMS = {
  hostedMetered: { kind: 'hosted', name: 'Hosted metered', start_date: '2026-01-01', term_months: '12', pricing: 'per_kwh', kwh_source: 'metered', energy_rate_per_kwh: '0.065' },
  hostedSpec: { kind: 'hosted', name: 'Hosted spec', start_date: '2026-01-01', term_months: '12', pricing: 'per_kwh', kwh_source: 'spec' },
  hostedHashrate: {
    kind: 'hosted',
    name: 'Hosted hashrate',
    start_date: '2026-01-01',
    term_months: '12',
    pricing: 'per_kwh',
    kwh_source: 'hashrate',
    efficiency_j_per_th: '21.5',
  },
  hostedFixed: { kind: 'hosted', name: 'Hosted fixed', start_date: '2026-01-01', term_months: '12', pricing: 'fixed_per_unit', monthly_fee: '180.00' },
  lease: { kind: 'lease', name: 'Lease', start_date: '2026-01-01', term_months: '6', monthly_fee: '250' },
  infinity: { kind: 'infinity', name: 'Infinity', start_date: '2026-01-01', term_months: '12', infinity_ths: '250.5', price_per_th_day: '0.055' },
  om: { kind: 'om', name: 'O&M', start_date: '2026-01-01', term_months: '24', monthly_fee: '12000' },
} satisfies Record<string, Record<string, string>>;
