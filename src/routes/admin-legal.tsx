import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { can, requireThat } from '../auth/permissions';
import { getCustomer } from '../customers/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { staffActor } from '../hosts/service';
import {
  acceptancesCsv,
  createDocument,
  customerLegal,
  getAcceptance,
  getDocument,
  getVersion,
  LEGAL_PDF_MAX_BYTES,
  listDocuments,
  publishVersion,
  setArchived,
  updateDocument,
  versionFile,
  type UploadedFile,
} from '../legal/service';
import { AppError, notFound, ValidationError } from '../lib/errors';
import { readForm, readMultipartForm, redirectAfterPost } from '../lib/http';
import { CustomerLegalTab, LegalDocumentPage, LegalDocumentsPage, type DocumentFormValues } from '../../views/pages/legal/admin';
import { handleForm } from './forms';

/** The form's PDF, read into bytes (the service checks what they are). */
async function uploadedFile(form: { files: Record<string, File> } | null): Promise<UploadedFile | null> {
  const file = form?.files.file;
  if (!file || file.size === 0) return null;
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

/** Multipart read with room for a 10 MB PDF and the text fields; null when it is over. */
async function readDocumentForm(c: Context<AppEnv>) {
  const form = await readMultipartForm(c, LEGAL_PDF_MAX_BYTES + 512 * 1024);
  if (!form) throw new ValidationError({ file: 'The upload is over 10 MB.' });
  return form;
}

const formValues = (fields: Record<string, string>): Partial<DocumentFormValues> => ({
  title: fields.title ?? '',
  required_for: fields.required_for ?? 'all',
  format: fields.format ?? 'markdown',
  body: fields.body ?? '',
  change_note: fields.change_note ?? '',
});

/** Exactly the bytes that were hashed, as a download (never rendered inline by the browser). */
function sendFile(c: Context<AppEnv>, file: { body: Uint8Array; contentType: string; fileName: string }, sha256: string) {
  c.header('Content-Type', file.contentType);
  c.header('Content-Disposition', `attachment; filename="${file.fileName}"`);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Content-SHA256', sha256);
  c.header('Cache-Control', 'private, no-store');
  return c.body(file.body as unknown as ArrayBuffer);
}

/** Settings → Legal documents (mounted at /admin/settings/legal). */
export const adminLegalSettingsRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const documents = await listDocuments(getDb(c.env.DB), session.host.id, { includeArchived: true });
    const notice = c.req.query('published') ? 'Document published.' : undefined;
    return c.html(<LegalDocumentsPage session={session} documents={documents} editable={can.manageLegal(session.role)} notice={notice} />);
  })
  .post('/', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageLegal(session.role), 'Only owners and admins can publish legal documents.');
    const db = getDb(c.env.DB);
    let fields: Record<string, string> = {};
    return handleForm(
      c,
      async () => {
        const form = await readDocumentForm(c);
        fields = form.fields;
        const { title, required_for, format, body, change_note } = fields;
        const id = await createDocument(db, c.env, session.host.id, staffActor(session), { title, required_for, format, body, change_note }, await uploadedFile(form));
        return redirectAfterPost(c, `/admin/settings/legal/${id}?published=1`);
      },
      async (errors) => {
        const documents = await listDocuments(db, session.host.id, { includeArchived: true });
        const page = <LegalDocumentsPage session={session} documents={documents} editable values={formValues(fields)} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .get('/:documentId', async (c) => {
    const session = c.get('staff');
    const { document, versions } = await getDocument(getDb(c.env.DB), session.host.id, c.req.param('documentId'));
    const notice = c.req.query('published') ? 'Version published: customers it applies to will be asked to accept it.' : c.req.query('saved') ? 'Saved.' : undefined;
    return c.html(<LegalDocumentPage session={session} document={document} versions={versions} editable={can.manageLegal(session.role)} notice={notice} />);
  })
  .post('/:documentId', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageLegal(session.role), 'Only owners and admins can change legal documents.');
    const db = getDb(c.env.DB);
    const id = c.req.param('documentId');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateDocument(db, session.host.id, staffActor(session), id, { title: form.title, required_for: form.required_for });
        return redirectAfterPost(c, `/admin/settings/legal/${id}?saved=1`);
      },
      async (errors) => {
        const { document, versions } = await getDocument(db, session.host.id, id);
        const page = <LegalDocumentPage session={session} document={document} versions={versions} editable errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .post('/:documentId/versions', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageLegal(session.role), 'Only owners and admins can publish legal documents.');
    const db = getDb(c.env.DB);
    const id = c.req.param('documentId');
    let fields: Record<string, string> = {};
    return handleForm(
      c,
      async () => {
        const form = await readDocumentForm(c);
        fields = form.fields;
        const { format, body, change_note } = fields;
        await publishVersion(db, c.env, session.host.id, staffActor(session), id, { format, body, change_note }, await uploadedFile(form));
        return redirectAfterPost(c, `/admin/settings/legal/${id}?published=1`);
      },
      async (errors) => {
        const { document, versions } = await getDocument(db, session.host.id, id);
        const page = <LegalDocumentPage session={session} document={document} versions={versions} editable values={formValues(fields)} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .post('/:documentId/archive', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageLegal(session.role));
    await setArchived(getDb(c.env.DB), session.host.id, staffActor(session), c.req.param('documentId'), true);
    return redirectAfterPost(c, `/admin/settings/legal/${c.req.param('documentId')}`);
  })
  .post('/:documentId/restore', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageLegal(session.role));
    await setArchived(getDb(c.env.DB), session.host.id, staffActor(session), c.req.param('documentId'), false);
    return redirectAfterPost(c, `/admin/settings/legal/${c.req.param('documentId')}`);
  })
  .get('/:documentId/versions/:versionId/file', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const { document } = await getDocument(db, session.host.id, c.req.param('documentId'));
    const version = await getVersion(db, session.host.id, c.req.param('versionId'));
    if (version.documentId !== document.id) throw notFound('Document version');
    return sendFile(c, await versionFile(c.env, version, document.title), version.sha256);
  })
  .get('/:documentId/acceptances.csv', async (c) => {
    const session = c.get('staff');
    const { title, csv } = await acceptancesCsv(getDb(c.env.DB), session.host.id, c.req.param('documentId'));
    const name = title.replace(/[^A-Za-z0-9 _-]/g, '').trim().replace(/\s+/g, '-').slice(0, 60) || 'document';
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="acceptances-${name}.csv"`);
    return c.body(csv);
  });

/** The customer's Legal tab (mounted at /admin/customers, before the generic tab dispatcher). */
export const adminCustomerLegalRoutes = new Hono<AppEnv>()
  .get('/:customerId/legal', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const customer = await getCustomer(db, session.host.id, c.req.param('customerId'));
    const rows = await customerLegal(db, session.host.id, customer.id);
    return c.html(<CustomerLegalTab session={session} customer={customer} rows={rows} />);
  })
  .get('/:customerId/legal/acceptances/:acceptanceId/file', async (c) => {
    const session = c.get('staff');
    const row = await getAcceptance(getDb(c.env.DB), session.host.id, c.req.param('customerId'), c.req.param('acceptanceId'));
    if (row.version.sha256 !== row.acceptance.sha256) throw new AppError('internal', 'The stored version no longer matches the accepted hash.');
    return sendFile(c, await versionFile(c.env, row.version, row.title), row.acceptance.sha256);
  });

export { sendFile as sendLegalFile };
