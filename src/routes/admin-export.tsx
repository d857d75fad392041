import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { deleteCookie } from '../lib/cookie';
import { can, requireThat } from '../auth/permissions';
import { STAFF_COOKIE } from '../auth/staff-session';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import type { FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { closeHost } from '../team/close';
import { getExport, listExports, openExportDownload, requestExport } from '../team/export';
import { ExportPage, ExportProgress } from '../../views/pages/settings/export';
import { handleForm } from './forms';

const ownerOnly = (c: Context<AppEnv>) => requireThat(can.exportHostData(c.get('staff').role), 'Only the owner can export the host’s data or close its account.');

async function exportPage(c: Context<AppEnv>, extra: { notice?: string; closeErrors?: FieldErrors } = {}) {
  const session = c.get('staff');
  const exports = await listExports(getDb(c.env.DB), session.host.id);
  return <ExportPage session={session} exports={exports} now={Date.now()} {...extra} />;
}

/** Settings → Export (owner only): the data export and closing the host's account. */
export const adminExportRoutes = new Hono<AppEnv>()
  .use('*', async (c, next) => {
    ownerOnly(c);
    await next();
  })
  .get('/', async (c) => c.html(await exportPage(c, { notice: c.req.query('started') === '1' ? 'Export started. We email you when it is ready.' : undefined })))
  .post('/', async (c) => {
    await requestExport(getDb(c.env.DB), c.env, c.get('staff'), new URL(c.req.url).origin);
    return redirectAfterPost(c, '/admin/settings/export?started=1');
  })
  .get('/:id/progress', async (c) => {
    const session = c.get('staff');
    const row = await getExport(getDb(c.env.DB), session.host.id, c.req.param('id'));
    return c.html(<ExportProgress row={row} timezone={session.host.timezone} now={Date.now()} />);
  })
  .get('/:id/download', async (c) => {
    const session = c.get('staff');
    const { row, object } = await openExportDownload(getDb(c.env.DB), c.env, session, c.req.param('id'));
    const day = new Date(row.createdAt).toISOString().slice(0, 10);
    return new Response(object.body, {
      headers: {
        'Content-Type': 'application/zip',
        'Content-Length': String(object.size),
        'Content-Disposition': `attachment; filename="${session.host.mainSlug}-export-${day}.zip"`,
        'Cache-Control': 'private, no-store',
      },
    });
  })
  .post('/close', async (c) => {
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await closeHost(c.env, getDb(c.env.DB), c.get('staff'), form);
        deleteCookie(c, STAFF_COOKIE, { path: '/', secure: true });
        return redirectAfterPost(c, '/login?closed=1');
      },
      async (closeErrors) => {
        const page = await exportPage(c, { closeErrors });
        return { fragment: page, page };
      },
    );
  });
