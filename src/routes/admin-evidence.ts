import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { energyLineEvidenceCsv } from '../billing/evidence';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';

/** A CSV download: never cached (it carries billing data), always saved as a file. */
export function csvDownload(c: Context<AppEnv>, file: { filename: string; csv: string }) {
  return c.body(file.csv, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${file.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    'Cache-Control': 'no-store',
  });
}

/** /admin/invoices/:id/lines/:lineId/evidence.csv — the evidence behind one line, the host's invoices only. */
export const adminEvidenceRoutes = new Hono<AppEnv>().get('/:id/lines/:lineId/evidence.csv', async (c) => {
  const session = c.get('staff');
  const file = await energyLineEvidenceCsv(getDb(c.env.DB), session.host.id, c.req.param('id'), c.req.param('lineId'), session.host.timezone);
  return csvDownload(c, file);
});
