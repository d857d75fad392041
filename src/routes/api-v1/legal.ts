import { Hono } from '../../lib/hono';
import { getCustomer } from '../../customers/service';
import { getDb } from '../../db/client';
import type { AppEnv } from '../../env';
import { getDocument, listCustomerAcceptances, listDocuments, serializeAcceptance, serializeDocument, serializeVersion } from '../../legal/service';

/** /api/v1/legal: the host's agreements and their versions (read-only; publishing is in the app). */
export const apiLegalRoutes = new Hono<AppEnv>()
  .get('/documents', async (c) => {
    const key = c.get('apiKey');
    const documents = await listDocuments(getDb(c.env.DB), key.hostId, { includeArchived: c.req.query('include_archived') === 'true' });
    return c.json({ data: documents.map(serializeDocument) });
  })
  .get('/documents/:id', async (c) => {
    const { document, versions } = await getDocument(getDb(c.env.DB), c.get('apiKey').hostId, c.req.param('id'));
    return c.json({ data: { ...serializeDocument(document), versions: versions.map(serializeVersion) } });
  })
  .get('/documents/:id/versions', async (c) => {
    const { versions } = await getDocument(getDb(c.env.DB), c.get('apiKey').hostId, c.req.param('id'));
    return c.json({ data: versions.map(serializeVersion) });
  });

/** /api/v1/customers/:id/acceptances: every acceptance of the customer, newest first. */
export const apiCustomerAcceptanceRoutes = new Hono<AppEnv>().get('/:id/acceptances', async (c) => {
  const hostId = c.get('apiKey').hostId;
  const db = getDb(c.env.DB);
  const customer = await getCustomer(db, hostId, c.req.param('id'));
  const rows = await listCustomerAcceptances(db, hostId, customer.id);
  return c.json({ data: rows.map(serializeAcceptance) });
});
