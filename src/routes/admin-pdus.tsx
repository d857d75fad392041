import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { staffActor } from '../hosts/service';
import { ValidationError, type FieldErrors } from '../lib/errors';
import { readForm, readMultipartForm, redirectAfterPost } from '../lib/http';
import { readLive, withLiveShards } from '../live/client';
import { pduCredentialKey } from '../pdu/crypto';
import {
  createPdu,
  deletePdu,
  getPdu,
  importOutletsCsv,
  listPdus,
  mapOutlet,
  MAX_MAPPING_BYTES,
  outletsCsv,
  PDU_FORM_DEFAULTS,
  pduFormValues,
  unmapOutlet,
  updatePdu,
  type PduDetail,
  type PduFormValues,
} from '../pdu/service';
import { getSite } from '../sites/service';
import { OutletLiveTable, PduDetailPage, PdusPage } from '../../views/pages/sites/pdus';
import { handleForm } from './forms';

/** What the edit form shows of a stored PDU: everything but its secrets. */
const storedValues = (pdu: PduDetail): PduFormValues => ({
  ...PDU_FORM_DEFAULTS,
  name: pdu.name,
  address: pdu.address,
  port: String(pdu.port),
  family: pdu.family,
  snmp_version: pdu.snmpVersion,
  v3_user: pdu.v3User ?? '',
  v3_level: pdu.v3Level ?? PDU_FORM_DEFAULTS.v3_level,
  v3_auth_protocol: pdu.v3AuthProtocol ?? PDU_FORM_DEFAULTS.v3_auth_protocol,
  v3_priv_protocol: pdu.v3PrivProtocol ?? PDU_FORM_DEFAULTS.v3_priv_protocol,
});

const context = (c: Context<AppEnv>) => {
  const session = c.get('staff');
  return { session, db: getDb(c.env.DB), hostId: session.host.id, scope: session.siteIds, actor: staffActor(session) };
};

/** The mapped units' live state (their last samples), for the per-outlet power table. */
const outletLive = async (c: Context<AppEnv>, siteId: string, pdu: PduDetail) =>
  readLive(c.env, await withLiveShards(getDb(c.env.DB), pdu.mapping.map((m) => ({ id: m.minerId, siteId }))));

async function detailPage(
  c: Context<AppEnv>,
  siteId: string,
  pduId: string,
  extra: Partial<Pick<Parameters<typeof PduDetailPage>[0], 'values' | 'errors' | 'mapForm' | 'importForm' | 'notice' | 'imported'>> = {},
) {
  const { session, db, hostId, scope } = context(c);
  const site = await getSite(db, hostId, siteId, undefined, scope);
  const pdu = await getPdu(db, await pduCredentialKey(c.env), hostId, site.id, pduId, scope);
  const live = await outletLive(c, site.id, pdu);
  return <PduDetailPage session={session} site={site} pdu={pdu} live={live} values={extra.values ?? storedValues(pdu)} {...extra} />;
}

/** Site page → PDUs: the site's metered PDUs, their SNMP access and outlet mapping (issue 17). */
export const adminPduRoutes = new Hono<AppEnv>()
  .get('/:siteId/pdus', async (c) => {
    const { session, db, hostId, scope } = context(c);
    const site = await getSite(db, hostId, c.req.param('siteId'), undefined, scope);
    return c.html(<PdusPage session={session} site={site} pdus={await listPdus(db, hostId, site.id)} values={PDU_FORM_DEFAULTS} notice={c.req.query('done')} />);
  })
  .post('/:siteId/pdus', async (c) => {
    const { session, db, hostId, scope, actor } = context(c);
    const site = await getSite(db, hostId, c.req.param('siteId'), undefined, scope);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const id = await createPdu(db, await pduCredentialKey(c.env), hostId, actor, site.id, form, scope);
        return redirectAfterPost(c, `/admin/sites/${site.id}/pdus/${id}?done=added`);
      },
      async (errors) => {
        const page = <PdusPage session={session} site={site} pdus={await listPdus(db, hostId, site.id)} values={pduFormValues(form)} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .get('/:siteId/pdus/:pduId', async (c) => {
    const imported = Number(c.req.query('imported'));
    return c.html(await detailPage(c, c.req.param('siteId'), c.req.param('pduId'), { notice: c.req.query('done'), imported: Number.isInteger(imported) && imported > 0 ? imported : undefined }));
  })
  .get('/:siteId/pdus/:pduId/live', async (c) => {
    const { session, db, hostId, scope } = context(c);
    const site = await getSite(db, hostId, c.req.param('siteId'), undefined, scope);
    const pdu = await getPdu(db, await pduCredentialKey(c.env), hostId, site.id, c.req.param('pduId'), scope);
    return c.html(<OutletLiveTable site={site} pdu={pdu} live={await outletLive(c, site.id, pdu)} timezone={session.host.timezone} />);
  })
  .get('/:siteId/pdus/:pduId/outlets.csv', async (c) => {
    const { db, hostId, scope } = context(c);
    const pdu = await getPdu(db, await pduCredentialKey(c.env), hostId, c.req.param('siteId'), c.req.param('pduId'), scope);
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', 'attachment; filename="pdu-outlets.csv"');
    return c.body(outletsCsv(pdu));
  })
  .post('/:siteId/pdus/:pduId', async (c) => {
    const { db, hostId, scope, actor } = context(c);
    const siteId = c.req.param('siteId');
    const pduId = c.req.param('pduId');
    const key = await pduCredentialKey(c.env);
    await getPdu(db, key, hostId, siteId, pduId, scope); // another host's or site's PDU: 404, not a form
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updatePdu(db, key, hostId, actor, siteId, pduId, form, scope);
        return redirectAfterPost(c, `/admin/sites/${siteId}/pdus/${pduId}?done=saved`);
      },
      async (errors) => {
        const page = await detailPage(c, siteId, pduId, { values: pduFormValues(form), errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/:siteId/pdus/:pduId/delete', async (c) => {
    const { db, hostId, scope, actor } = context(c);
    const siteId = c.req.param('siteId');
    await deletePdu(db, await pduCredentialKey(c.env), hostId, actor, siteId, c.req.param('pduId'), scope);
    return redirectAfterPost(c, `/admin/sites/${siteId}/pdus?done=removed`);
  })
  .post('/:siteId/pdus/:pduId/outlets', async (c) => {
    const { db, hostId, scope, actor } = context(c);
    const siteId = c.req.param('siteId');
    const pduId = c.req.param('pduId');
    const key = await pduCredentialKey(c.env);
    await getPdu(db, key, hostId, siteId, pduId, scope);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await mapOutlet(db, key, hostId, actor, siteId, pduId, form, scope);
        return redirectAfterPost(c, `/admin/sites/${siteId}/pdus/${pduId}?done=mapped#outlets`);
      },
      async (errors: FieldErrors) => {
        const page = await detailPage(c, siteId, pduId, { mapForm: { values: { outlet: form.outlet ?? '', unit: form.unit ?? '' }, errors } });
        return { fragment: page, page };
      },
    );
  })
  .post('/:siteId/pdus/:pduId/outlets/import', async (c) => {
    const { db, hostId, scope, actor } = context(c);
    const siteId = c.req.param('siteId');
    const pduId = c.req.param('pduId');
    const key = await pduCredentialKey(c.env);
    await getPdu(db, key, hostId, siteId, pduId, scope);
    const body = await readMultipartForm(c, MAX_MAPPING_BYTES + 64 * 1024);
    const file = body?.files.file;
    const text = body === null ? null : file && file.size > 0 ? await file.text() : (body.fields.csv ?? '');
    return handleForm(
      c,
      async () => {
        if (text === null) throw new ValidationError({ csv: 'The file is larger than 256 KB.' });
        const imported = await importOutletsCsv(db, key, hostId, actor, siteId, pduId, text, scope);
        return redirectAfterPost(c, `/admin/sites/${siteId}/pdus/${pduId}?imported=${imported}#outlets`);
      },
      async (errors) => {
        const page = await detailPage(c, siteId, pduId, { importForm: { csv: (text ?? '').slice(0, MAX_MAPPING_BYTES), errors } });
        return { fragment: page, page };
      },
    );
  })
  .post('/:siteId/pdus/:pduId/outlets/:outlet/remove', async (c) => {
    const { db, hostId, scope, actor } = context(c);
    const siteId = c.req.param('siteId');
    const pduId = c.req.param('pduId');
    await unmapOutlet(db, await pduCredentialKey(c.env), hostId, actor, siteId, pduId, c.req.param('outlet'), scope);
    return redirectAfterPost(c, `/admin/sites/${siteId}/pdus/${pduId}?done=unmapped#outlets`);
  });
