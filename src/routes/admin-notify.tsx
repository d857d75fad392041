import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { and, asc, eq } from 'drizzle-orm';
import { getDb, type Db } from '../db/client';
import { customers, sites } from '../db/schema';
import type { AppEnv } from '../env';
import { ValidationError } from '../lib/errors';
import { redirectAfterPost } from '../lib/http';
import { staffActor } from '../hosts/service';
import {
  cancelAnnouncement,
  checkAnnouncement,
  createAnnouncement,
  deliveryFigures,
  getAnnouncement,
  listAnnouncements,
  listRecipients,
  maintenanceUnitList,
  parseTarget,
  previewRecipients,
  resendFailures,
} from '../notify/service';
import { notFound } from '../lib/errors';
import { STATUS_LABELS } from '../customers/status';
import { contractKindName } from '../../views/pages/notify/shared';
import {
  DeliveryProgress,
  emptyNotifyForm,
  NotifyDetailPage,
  NotifyForm,
  NotifyFormPage,
  NotifyListPage,
  type NotifyFormValues,
} from '../../views/pages/notify/staff';
import type { AnnouncementTarget } from '../notify/schema';

const LIST_FIELDS = ['site_ids', 'contract_kinds', 'statuses', 'customer_ids'] as const;

/** The posted form: list fields as arrays (repeated checkboxes, a multiple select), the rest as text. */
async function readNotifyForm(c: Context<AppEnv>): Promise<NotifyFormValues & { action: string }> {
  const body = await c.req.parseBody({ all: true });
  const text = (name: string) => {
    const value = body[name];
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    return typeof last === 'string' ? last : '';
  };
  const list = (name: string) => {
    const value = body[name];
    return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string');
  };
  const kind = text('kind') === 'maintenance' ? 'maintenance' : 'announcement';
  return {
    action: text('action'),
    kind,
    subject: text('subject'),
    body: text('body'),
    format: text('format') || 'plain',
    site_ids: list('site_ids'),
    contract_kinds: list('contract_kinds'),
    statuses: list('statuses'),
    customer_ids: list('customer_ids'),
    send_at: text('send_at'),
    site_id: text('site_id'),
    racks: text('racks'),
    units: text('units'),
    starts_at: text('starts_at'),
    ends_at: text('ends_at'),
    notice_hours: text('notice_hours'),
  };
}

/** The form's values as the shared schema's input (maintenance fields only for a window). */
function inputOf(values: NotifyFormValues): Record<string, unknown> {
  const common = { kind: values.kind, subject: values.subject, body: values.body, format: values.format };
  if (values.kind === 'maintenance') {
    return { ...common, site_id: values.site_id, racks: values.racks, units: values.units, starts_at: values.starts_at, ends_at: values.ends_at, notice_hours: values.notice_hours || undefined };
  }
  return { ...common, ...Object.fromEntries(LIST_FIELDS.map((f) => [f, values[f]])), send_at: values.send_at };
}

async function targetOptions(db: Db, hostId: string) {
  const [siteRows, customerRows] = await db.batch([
    db.select({ id: sites.id, name: sites.name }).from(sites).where(eq(sites.hostId, hostId)).orderBy(asc(sites.name)).limit(200),
    db.select({ id: customers.id, name: customers.name }).from(customers).where(eq(customers.hostId, hostId)).orderBy(asc(customers.sortName)).limit(1000),
  ]);
  return { sites: siteRows, customers: customerRows };
}

/** "All customers that are not inactive" / "Customers at Site A with an active Hosted contract". */
async function describeTarget(db: Db, hostId: string, target: AnnouncementTarget, kind: string): Promise<string> {
  if (kind === 'maintenance') return 'Customers with units in the window (their portal team, else their contact email)';
  const parts: string[] = [];
  if (target.customer_ids.length > 0) parts.push(`${target.customer_ids.length} hand-picked customer${target.customer_ids.length === 1 ? '' : 's'}`);
  if (target.site_ids.length > 0) {
    const picked = (await db.select({ id: sites.id, name: sites.name }).from(sites).where(eq(sites.hostId, hostId)).all()).filter((s) => target.site_ids.includes(s.id));
    parts.push(`with units at ${picked.map((s) => s.name).join(', ') || 'a removed site'}`);
  }
  if (target.contract_kinds.length > 0) parts.push(`with an active ${target.contract_kinds.map(contractKindName).join(' or ')} contract`);
  parts.push(target.statuses.length > 0 ? `status ${target.statuses.map((s) => STATUS_LABELS[s]).join(' or ')}` : 'not inactive');
  return `Customers: ${parts.join('; ')}`;
}

/** The platform origin of this request: portal links in the emails. */
const originOf = (c: Context<AppEnv>) => new URL(c.req.url).origin;

/** /admin/notify — announcements and maintenance windows. */
export const adminNotifyRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const q = c.req.query();
    const filters = {
      status: ['scheduled', 'sending', 'sent', 'cancelled'].includes(q.status ?? '') ? q.status! : '',
      kind: ['announcement', 'maintenance'].includes(q.kind ?? '') ? q.kind! : '',
      q: (q.q ?? '').trim().slice(0, 100),
    };
    const list = await listAnnouncements(getDb(c.env.DB), session.host.id, { ...filters, page: Number(q.page) || 1 });
    return c.html(<NotifyListPage session={session} {...list} filters={filters} />);
  })
  .get('/new', async (c) => {
    const session = c.get('staff');
    const kind = c.req.query('kind') === 'maintenance' ? 'maintenance' : 'announcement';
    const options = await targetOptions(getDb(c.env.DB), session.host.id);
    return c.html(
      <NotifyFormPage session={session} kind={kind} form={<NotifyForm values={emptyNotifyForm(kind)} options={options} timezone={session.host.timezone} />} />,
    );
  })
  .post('/new', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const values = await readNotifyForm(c);
    const render = async (status: 200 | 422, extra: { errors?: Record<string, string>; preview?: Parameters<typeof NotifyForm>[0]['preview'] }) => {
      const form = <NotifyForm values={values} options={await targetOptions(db, session.host.id)} timezone={session.host.timezone} {...extra} />;
      return c.html(c.req.header('HX-Request') === 'true' ? form : <NotifyFormPage session={session} kind={values.kind} form={form} />, status);
    };
    try {
      const checked = await checkAnnouncement(db, session.host.id, session.host.timezone, inputOf(values));
      if (values.action === 'preview') {
        // A window's recipients are its units' customers: preview them through the same query as sending.
        const recipients = checked.maintenance
          ? await previewMaintenance(db, session.host.id, checked.maintenance.minerIds)
          : await previewRecipients(db, session.host.id, checked.target);
        return render(200, { preview: { recipients, subject: checked.subject, body: checked.body, format: checked.format } });
      }
      const created = await createAnnouncement(db, c.env, session.host.id, staffActor(session), checked, originOf(c));
      return redirectAfterPost(c, `/admin/notify/${created.id}`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return render(422, { errors: error.fields ?? {} });
    }
  })
  .get('/:id', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const a = await getAnnouncement(db, session.host.id, c.req.param('id'));
    if (!a) throw notFound('Announcement');
    const q = c.req.query();
    const recipientFilters = { status: ['queued', 'sent', 'failed'].includes(q.status ?? '') ? q.status! : '', q: (q.q ?? '').trim().slice(0, 100) };
    const [figures, ended, recipients, units, site, targetSummary] = await Promise.all([
      deliveryFigures(db, session.host.id, [a.id]),
      a.endedNoticeAt !== null ? deliveryFigures(db, session.host.id, [a.id], 'ended') : Promise.resolve(null),
      listRecipients(db, session.host.id, a.id, { ...recipientFilters, page: Number(q.page) || 1 }),
      a.kind === 'maintenance' ? maintenanceUnitList(db, session.host.id, a.id) : Promise.resolve([]),
      a.siteId ? db.select({ name: sites.name }).from(sites).where(and(eq(sites.id, a.siteId), eq(sites.hostId, session.host.id))).get() : Promise.resolve(undefined),
      describeTarget(db, session.host.id, parseTarget(a.target), a.kind),
    ]);
    const flash = q.resent !== undefined ? `${Number(q.resent) || 0} failed email(s) queued again.` : null;
    return c.html(
      <NotifyDetailPage
        session={session}
        announcement={a}
        figures={figures.get(a.id)!}
        endedFigures={ended?.get(a.id) ?? null}
        recipients={recipients}
        recipientFilters={recipientFilters}
        siteName={site?.name ?? null}
        units={units}
        targetSummary={targetSummary}
        flash={flash}
      />,
    );
  })
  .get('/:id/progress', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const a = await getAnnouncement(db, session.host.id, c.req.param('id'));
    if (!a) throw notFound('Announcement');
    const phase = c.req.query('phase') === 'ended' ? 'ended' : 'notice';
    const figures = (await deliveryFigures(db, session.host.id, [a.id], phase)).get(a.id)!;
    const href = `/admin/notify/${a.id}/progress${phase === 'ended' ? '?phase=ended' : ''}`;
    return c.html(<DeliveryProgress id={phase === 'ended' ? `${a.id}-ended` : a.id} href={href} figures={figures} status={phase === 'ended' ? 'sent' : a.status} />);
  })
  .post('/:id/resend', async (c) => {
    const session = c.get('staff');
    const count = await resendFailures(getDb(c.env.DB), c.env, session.host.id, staffActor(session), c.req.param('id'));
    return redirectAfterPost(c, `/admin/notify/${c.req.param('id')}?resent=${count}`);
  })
  .post('/:id/cancel', async (c) => {
    const session = c.get('staff');
    await cancelAnnouncement(getDb(c.env.DB), session.host.id, staffActor(session), c.req.param('id'));
    return redirectAfterPost(c, `/admin/notify/${c.req.param('id')}`);
  });

/** A window's recipients before it exists: the customers owning its units, through a throwaway target. */
async function previewMaintenance(db: Db, hostId: string, units: { customerId: string | null }[]) {
  const customerIds = [...new Set(units.map((u) => u.customerId).filter((id): id is string => id !== null))];
  if (customerIds.length === 0) return { count: 0, customers: 0, list: [] };
  return previewRecipients(db, hostId, { site_ids: [], contract_kinds: [], statuses: [], customer_ids: customerIds });
}
