import { Hono } from '../lib/hono';
import { energyLineEvidenceCsv } from '../billing/evidence';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { csvDownload } from './admin-evidence';

/**
 * <portal>/invoices/:id/lines/:lineId/evidence.csv, mounted behind requireMember: the signed-in
 * customer's own issued invoices only (a draft, another customer's or another host's is a 404).
 */
export const portalEvidenceRoutes = new Hono<AppEnv>().get('/:id/lines/:lineId/evidence.csv', async (c) => {
  const portal = c.get('portal');
  const file = await energyLineEvidenceCsv(getDb(c.env.DB), portal.host.id, c.req.param('id'), c.req.param('lineId'), portal.host.timezone, {
    customerId: portal.customer!.id,
  });
  return csvDownload(c, file);
});
