import { h } from '#jsx';
import { Hono } from '../lib/hono';
import { billingCustomerOptions } from '../billing/invoices';
import { listContracts, type ContractListQuery } from '../contracts/service';
import { csvCell } from '../customers/csv';
import { getDb } from '../db/client';
import { CONTRACT_KINDS, CONTRACT_STATUSES } from '../db/schema';
import type { AppEnv } from '../env';
import { isHtmx } from '../lib/http';
import { ContractListPage, ContractResults, type ContractFilters } from '../../views/pages/contracts/host-list';
import { equipmentText, monthlyValueText, pricingText, STATUS_LABELS } from '../../views/pages/contracts/shared';

/** Unknown filter values are dropped (the list shows everything) rather than refused: they come from links. */
function listFilters(query: Record<string, string>): ContractFilters {
  return {
    status: (CONTRACT_STATUSES as readonly string[]).includes(query.status ?? '') ? (query.status as ContractListQuery['status']) : undefined,
    kind: (CONTRACT_KINDS as readonly string[]).includes(query.kind ?? '') ? (query.kind as ContractListQuery['kind']) : undefined,
    customer: query.customer || undefined,
    cursor: query.cursor || undefined,
  };
}

/** The CSV reads the filtered list a page at a time, up to this many contracts. */
const CSV_MAX_CONTRACTS = 10_000;

/** Host OS → Contracts: the host-wide list (each contract is managed on its customer's tab). */
export const adminContractListRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const filters = listFilters(c.req.query());
    const [list, customers] = await Promise.all([listContracts(db, session.host.id, filters), billingCustomerOptions(db, session.host.id)]);
    if (isHtmx(c) && c.req.header('HX-Target') === 'contract-results') return c.html(<ContractResults {...list} filters={filters} />);
    return c.html(<ContractListPage session={session} list={list} filters={filters} customers={customers} />);
  })
  .get('/export.csv', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const filters = { ...listFilters(c.req.query()), cursor: undefined as string | undefined };
    const rows: (string | number | null)[][] = [['contract_id', 'name', 'customer', 'type', 'status', 'equipment', 'start_date', 'end_date', 'currency', 'monthly_value']];
    do {
      const page = await listContracts(db, session.host.id, { ...filters, limit: 500 });
      for (const k of page.items) {
        rows.push([k.id, k.name, k.customerName, pricingText(k), STATUS_LABELS[k.status], equipmentText(k), k.startDate, k.endDate, k.currency, monthlyValueText(k)]);
      }
      filters.cursor = page.nextCursor ?? undefined;
    } while (filters.cursor && rows.length <= CSV_MAX_CONTRACTS);
    const date = new Date().toISOString().slice(0, 10);
    return c.body(`${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`, 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="contracts-${date}.csv"`,
      'Cache-Control': 'no-store',
    });
  });
