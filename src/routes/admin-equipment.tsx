import { h } from '#jsx';
import { recomputeUnknownHours, unknownHoursOf } from '../equipment/power-data';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { deleteCookie, getCookie, setCookie } from '../lib/cookie';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { assertImportable, IMPORT_TEMPLATE, importMiners, MAX_IMPORT_BYTES, minersCsv, previewImport, type ImportMode } from '../equipment/csv';
import { unitIdent } from '../equipment/naming';
import { MINER_SORTS, MINER_STATUSES, minerFormToInput, mthsToThs, type MinerSort, type MinerStatus } from '../equipment/schema';
import { createMiner, equipmentPageReadsRankedAhead, getMiner, getMinerWithLive, listMinerActivity, listMiners, listMinersWithOptions, updateMiner, type Miner } from '../equipment/service';
import { pagePrefetch } from '../middleware/page-prefetch';
import { staffActor } from '../hosts/service';
import { ValidationError } from '../lib/errors';
import { isHtmx, readForm, readMultipartForm, redirectAfterPost } from '../lib/http';
import { siteOptions } from '../sites/service';
import { MinerDetailPage } from '../../views/pages/equipment/detail';
import { EMPTY_MINER_FORM, MinerForm, MinerFormPage, type MinerFormValues } from '../../views/pages/equipment/form';
import { ImportPage } from '../../views/pages/equipment/import';
import {
  DEFAULT_EQUIPMENT_FILTERS,
  EQUIPMENT_VIEWS,
  EquipmentListPage,
  EquipmentResults,
  type EquipmentFilters,
  type EquipmentView,
} from '../../views/pages/equipment/list';
import { handleForm } from './forms';
import { fleetHistory } from '../telemetry/fleet';
import { tolerantLive } from '../live/client';
import { unavailableSites } from '../live/outage';

/**
 * The list remembers its view, sort and filters (not the search text or page) in a cookie:
 * opening Equipment without a query restores them; any explicit query replaces them.
 */
export const EQUIPMENT_PREFS_COOKIE = '__Host-hy_equipment';
const REMEMBERED = ['site', 'status', 'model', 'customer', 'sort', 'view'] as const;
const LIST_KEYS = ['q', ...REMEMBERED, 'power', 'cursor', 'before'];

/** Query-string filters, tolerant of junk: an unknown status, sort or view falls back to the default. */
export function parseEquipmentFilters(query: Record<string, string | undefined>, defaults: Partial<EquipmentFilters> = {}): EquipmentFilters {
  const base = { ...DEFAULT_EQUIPMENT_FILTERS, ...defaults };
  const text = (value: string | undefined, max: number) => (value ?? '').trim().slice(0, max);
  return {
    q: text(query.q, 200),
    site: text(query.site, 64),
    status: MINER_STATUSES.includes(query.status as MinerStatus) ? (query.status as MinerStatus) : '',
    model: text(query.model, 96),
    customer: text(query.customer, 64),
    power: query.power === 'missing' ? 'missing' : '',
    sort: MINER_SORTS.includes(query.sort as MinerSort) ? (query.sort as MinerSort) : base.sort,
    view: EQUIPMENT_VIEWS.includes(query.view as EquipmentView) ? (query.view as EquipmentView) : base.view,
  };
}

/** The service's query: only the filters that are set. */
export function serviceQuery(filters: EquipmentFilters, page: { cursor?: string; before?: string; limit?: number } = {}) {
  return {
    q: filters.q || undefined,
    site: filters.site || undefined,
    status: filters.status || undefined,
    model: filters.model || undefined,
    customer: filters.customer || undefined,
    power: filters.power || undefined,
    sort: filters.sort,
    ...(page.cursor ? { cursor: page.cursor } : {}),
    ...(page.before ? { before: page.before } : {}),
    ...(page.limit ? { limit: page.limit } : {}),
  };
}

/**
 * The list's filters from the URL, or the remembered ones when the URL asks for none, and what to
 * do with the cookie. Pure, so the prefetch and the page agree; `rememberFilters` applies it.
 */
function listFilters(c: Context<AppEnv>): { filters: EquipmentFilters; query: Record<string, string>; remember: URLSearchParams | 'forget' | null } {
  const query = c.req.query();
  if (query.reset) return { filters: DEFAULT_EQUIPMENT_FILTERS, query: {}, remember: 'forget' };
  const explicit = LIST_KEYS.some((key) => key in query);
  if (!explicit) {
    const saved = Object.fromEntries(new URLSearchParams(getCookie(c, EQUIPMENT_PREFS_COOKIE) ?? ''));
    return { filters: parseEquipmentFilters(saved), query: {}, remember: null };
  }
  const filters = parseEquipmentFilters(query);
  const keep = new URLSearchParams();
  for (const key of REMEMBERED) if (filters[key]) keep.set(key, filters[key]);
  return { filters, query, remember: keep };
}

function rememberFilters(c: Context<AppEnv>, remember: URLSearchParams | 'forget' | null) {
  if (remember === 'forget') deleteCookie(c, EQUIPMENT_PREFS_COOKIE, { path: '/', secure: true });
  else if (remember) setCookie(c, EQUIPMENT_PREFS_COOKIE, remember.toString(), { path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: 60 * 60 * 24 * 365 });
}

const listQueryOf = (c: Context<AppEnv>) => {
  const { filters, query } = listFilters(c);
  return serviceQuery(filters, { cursor: query.cursor, before: query.before });
};

/** The list's first batch and filter choices travel with the session check (src/middleware/staff-auth.ts). */
export const equipmentListPrefetch = pagePrefetch((c, db, hostId: string) => equipmentPageReadsRankedAhead(db, tolerantLive(c.env), hostId, listQueryOf(c)));

const formValuesOf = (miner: Miner): MinerFormValues => ({
  serial: miner.serial ?? '',
  mac: miner.mac ?? '',
  ip: miner.ip ?? '',
  vendor: miner.vendor ?? '',
  model: miner.model ?? '',
  firmware: miner.firmware ?? '',
  nominal_hashrate_ths: miner.nominalHashrateMths === null ? '' : mthsToThs(miner.nominalHashrateMths),
  nominal_power_w: miner.nominalPowerW === null ? '' : String(miner.nominalPowerW),
  site_id: miner.siteId ?? '',
  rack_location: miner.rackLocation ?? '',
  status: miner.status,
});

const postedValues = (form: Record<string, string>): MinerFormValues => ({ ...EMPTY_MINER_FORM, ...form });

const IMPORT_MODES: Record<string, ImportMode> = { import_all: 'all', import_good: 'good' };

/** Host OS → Equipment: inventory list, add/edit, CSV import/export and the unit's page. */
export const adminEquipmentRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const { filters, query, remember } = listFilters(c);
    rememberFilters(c, remember);
    const pageCursor = { cursor: query.cursor, before: query.before };
    // The prefetch reads for the host; a member limited to some sites reads through their scope instead.
    const prefetched = session.siteIds === null ? equipmentListPrefetch.take(c) : null;
    const live = tolerantLive(c.env);
    if (isHtmx(c) && c.req.header('HX-Target') === 'equipment-results') {
      const page = prefetched ? (await prefetched(live)).page : await listMiners(db, live, session.host.id, listQueryOf(c), 'all', session.siteIds);
      const liveUnavailable = await unavailableSites(db, session.host.id, live.outage);
      return c.html(<EquipmentResults page={page} filters={filters} pageCursor={pageCursor} liveUnavailable={liveUnavailable} />);
    }
    const { page, options } = prefetched ? await prefetched(live) : await listMinersWithOptions(db, live, session.host.id, listQueryOf(c), session.siteIds);
    const liveUnavailable = await unavailableSites(db, session.host.id, live.outage);
    return c.html(<EquipmentListPage session={session} page={page} filters={filters} options={options} pageCursor={pageCursor} liveUnavailable={liveUnavailable} />);
  })
  .get('/export.csv', async (c) => {
    const session = c.get('staff');
    const filters = parseEquipmentFilters(c.req.query());
    const csv = await minersCsv(getDb(c.env.DB), c.env, session.host.id, serviceQuery(filters), session.siteIds);
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', 'attachment; filename="equipment.csv"');
    return c.body(csv);
  })
  .get('/import', (c) => {
    const imported = Number(c.req.query('imported'));
    return c.html(<ImportPage session={c.get('staff')} imported={Number.isInteger(imported) && imported > 0 ? imported : undefined} />);
  })
  .get('/import/template.csv', (c) => {
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', 'attachment; filename="equipment-import-template.csv"');
    return c.body(IMPORT_TEMPLATE);
  })
  .post('/import', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const body = await readMultipartForm(c, MAX_IMPORT_BYTES + 64 * 1024);
    if (!body) {
      const message = `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB; split it into smaller files.`;
      return c.html(<ImportPage session={session} errors={{ file: message }} />, 422);
    }
    const file = body.files.file;
    const text = file && file.size > 0 ? await file.text() : body.fields.csv;
    try {
      const csv = assertImportable(text);
      const mode = IMPORT_MODES[body.fields.action ?? ''];
      if (!mode) {
        const preview = await previewImport(db, session.host.id, csv);
        return c.html(<ImportPage session={session} preview={preview} csv={csv} />, preview.fileErrors.length > 0 ? 422 : 200);
      }
      const expected = Number(body.fields.good_count);
      const outcome = await importMiners(db, session.host.id, staffActor(session), csv, mode, Number.isInteger(expected) ? expected : undefined);
      if (outcome.preview) {
        return c.html(<ImportPage session={session} preview={outcome.preview} csv={csv} notice={outcome.notice} />, 422);
      }
      return redirectAfterPost(c, `/admin/equipment/import?imported=${outcome.imported}`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return c.html(<ImportPage session={session} errors={error.fields} />, 422);
    }
  })
  .get('/new', async (c) => {
    const session = c.get('staff');
    const sites = await siteOptions(getDb(c.env.DB), session.host.id, session.siteIds);
    return c.html(
      <MinerFormPage
        session={session}
        title="Add unit"
        action="/admin/equipment"
        cancelHref="/admin/equipment"
        submitLabel="Add unit"
        values={{ ...EMPTY_MINER_FORM, site_id: c.req.query('site') ?? '' }}
        sites={sites}
      />,
    );
  })
  .post('/', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const miner = await createMiner(db, session.host.id, staffActor(session), minerFormToInput(form));
        return redirectAfterPost(c, `/admin/equipment/${miner.id}`);
      },
      async (errors) => {
        const sites = await siteOptions(db, session.host.id, session.siteIds);
        const props = { action: '/admin/equipment', cancelHref: '/admin/equipment', submitLabel: 'Add unit', values: postedValues(form), sites, errors };
        return { fragment: <MinerForm {...props} />, page: <MinerFormPage session={session} title="Add unit" {...props} /> };
      },
    );
  })
  .get('/:id', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const live = tolerantLive(c.env);
    const miner = await getMinerWithLive(db, live, session.host.id, c.req.param('id'), session.siteIds);
    const now = Date.now();
    const [activity, history, unknownHours] = await Promise.all([
      listMinerActivity(db, session.host.id, miner.id),
      fleetHistory(live, [miner], now),
      unknownHoursOf(db, session.host.id, miner.id),
    ]);
    const liveUnavailable = await unavailableSites(db, session.host.id, live.outage);
    const done = c.req.query('done');
    const notice = done === 'saved' ? 'Unit saved.' : done === 'recomputed' ? 'Unknown hours re-computed from the nominal power.' : undefined;
    return c.html(<MinerDetailPage session={session} miner={miner} activity={activity} notice={notice} history={history} now={now} unknownHours={unknownHours} liveUnavailable={liveUnavailable} />);
  })
  .post('/:id/recompute-energy', async (c) => {
    const session = c.get('staff');
    const miner = await getMiner(getDb(c.env.DB), session.host.id, c.req.param('id'));
    await recomputeUnknownHours(getDb(c.env.DB), session.host.id, staffActor(session), miner.id);
    return redirectAfterPost(c, `/admin/equipment/${miner.id}?done=recomputed`);
  })
  .get('/:id/edit', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const miner = await getMiner(db, session.host.id, c.req.param('id'), session.siteIds);
    const sites = await siteOptions(db, session.host.id, session.siteIds);
    return c.html(
      <MinerFormPage
        session={session}
        title={`Edit ${unitIdent(miner)}`}
        action={`/admin/equipment/${miner.id}`}
        cancelHref={`/admin/equipment/${miner.id}`}
        submitLabel="Save changes"
        values={formValuesOf(miner)}
        sites={sites}
        assignedTo={miner.status === 'assigned' && miner.customerId ? { id: miner.customerId, name: miner.customerName ?? 'customer' } : null}
      />,
    );
  })
  .post('/:id', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    // Resolve first, so another host's id is a 404 rather than a form with errors.
    const miner = await getMiner(db, session.host.id, c.req.param('id'), session.siteIds);
    const form = await readForm(c);
    const assignedTo = miner.status === 'assigned' && miner.customerId ? { id: miner.customerId, name: miner.customerName ?? 'customer' } : null;
    return handleForm(
      c,
      async () => {
        const input = minerFormToInput(form);
        // An assigned unit's form has no status field; its status changes only by unassigning.
        if (assignedTo) delete input.status;
        await updateMiner(db, session.host.id, staffActor(session), miner.id, input);
        return redirectAfterPost(c, `/admin/equipment/${miner.id}?done=saved`);
      },
      async (errors) => {
        const sites = await siteOptions(db, session.host.id, session.siteIds);
        const props = {
          action: `/admin/equipment/${miner.id}`,
          cancelHref: `/admin/equipment/${miner.id}`,
          submitLabel: 'Save changes',
          values: postedValues(form),
          sites,
          assignedTo,
          errors,
        };
        return { fragment: <MinerForm {...props} />, page: <MinerFormPage session={session} title={`Edit ${unitIdent(miner)}`} {...props} /> };
      },
    );
  });
