import { Hono } from '../../lib/hono';
import { invoiceEvidenceCsv } from '../../billing/evidence';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';
import { csvDownload } from '../admin-evidence';

/** /api/v1/invoices/:id/evidence.csv — every energy and adjustment line of one of the key's host's invoices. */
export const apiEvidenceRoutes = new Hono<AppEnv>().get('/:id/evidence.csv', async (c) => {
  const key = c.get('apiKey');
  return csvDownload(c, await invoiceEvidenceCsv(getDb(c.env.DB), key.hostId, c.req.param('id'), null));
});
