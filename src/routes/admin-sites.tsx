import { h } from '#jsx';
import { requireThat } from '../auth/permissions';
import { countUnitsWithoutPowerData } from '../equipment/power-data';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { createAgent, listAgents, regenerateAgentCode, revokeAgent, type IssuedCode } from '../agents/service';
import { getDb } from '../db/client';
import type { AppEnv } from '../env';
import { staffActor } from '../hosts/service';
import type { FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { microsToDecimal, siteFormToInput } from '../sites/schema';
import { addSegment, createSite, getSite, listSites, removeSegment, updateSite, type SiteDetail } from '../sites/service';
import { readSiteSummary, tolerantLive } from '../live/client';
import type { UnavailableSite } from '../live/outage';
import type { SiteSummary } from '../telemetry/types';
import { LiveSummaryCard, SiteDetailPage } from '../../views/pages/sites/detail';
import { emptySiteForm, SiteForm, SiteFormPage, type SiteFormValues } from '../../views/pages/sites/form';
import { SitesListPage } from '../../views/pages/sites/list';
import { handleForm } from './forms';

const formValuesOf = (site: SiteDetail): SiteFormValues => ({
  name: site.name,
  city: site.city ?? '',
  region: site.region ?? '',
  country: site.country ?? '',
  timezone: site.timezone,
  capacity_kw: site.capacityKw === null ? '' : String(site.capacityKw),
  energy_cost_per_kwh: site.energyCostMicrosPerKwh === null ? '' : microsToDecimal(site.energyCostMicrosPerKwh),
  staged_cap: site.stagedCap === null ? '' : String(site.stagedCap),
});

const postedValues = (form: Record<string, string>, timezone: string): SiteFormValues => ({
  ...emptySiteForm(timezone),
  ...(siteFormToInput(form) as Partial<SiteFormValues>),
});

/** Live totals from the site's SiteState object; when it fails or times out, the page says so instead of failing. */
async function siteSummary(c: Context<AppEnv>, site: { id: string; name: string; liveShards: number }): Promise<{ summary: SiteSummary | null; liveUnavailable: UnavailableSite[] }> {
  const live = tolerantLive(c.env);
  const summary = await readSiteSummary(live, site.id, site.liveShards);
  const reason = live.outage.sites.get(site.id);
  return { summary, liveUnavailable: reason ? [{ id: site.id, name: site.name, reason }] : [] };
}

async function detailPage(
  c: Context<AppEnv>,
  siteId: string,
  extra: { issued?: IssuedCode; segmentForm?: { values: { cidr: string; label: string }; errors: FieldErrors }; agentErrors?: FieldErrors } = {},
) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const site = await getSite(db, session.host.id, siteId, undefined, session.siteIds);
  const [agents, live, withoutPowerData] = await Promise.all([
    listAgents(db, session.host.id, site.id),
    siteSummary(c, site),
    countUnitsWithoutPowerData(db, session.host.id, site.id),
  ]);
  return (
    <SiteDetailPage
      session={session}
      site={site}
      agents={agents}
      summary={live.summary}
      liveUnavailable={live.liveUnavailable}
      withoutPowerData={withoutPowerData}
      origin={new URL(c.req.url).origin}
      notice={c.req.method === 'GET' ? c.req.query('done') : undefined}
      issued={extra.issued ? { agentName: extra.issued.agent.name, code: extra.issued.code, expiresAt: extra.issued.expiresAt } : undefined}
      segmentForm={extra.segmentForm}
      agentErrors={extra.agentErrors}
    />
  );
}

/** Host OS → Sites: list, create/edit, network segments and the site's agents. */
export const adminSiteRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    return c.html(<SitesListPage session={session} sites={await listSites(getDb(c.env.DB), session.host.id, undefined, session.siteIds)} />);
  })
  .get('/new', (c) => {
    const session = c.get('staff');
    return c.html(
      <SiteFormPage
        session={session}
        title="Add Site"
        action="/admin/sites"
        cancelHref="/admin/sites"
        submitLabel="Add Site"
        values={emptySiteForm(session.host.timezone)}
      />,
    );
  })
  .post('/', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        requireThat(session.siteIds === null, 'You are limited to some sites: the owner or an admin adds new sites.');
        const site = await createSite(getDb(c.env.DB), session.host.id, staffActor(session), siteFormToInput(form));
        return redirectAfterPost(c, `/admin/sites/${site.id}`);
      },
      (errors) => {
        const props = { action: '/admin/sites', cancelHref: '/admin/sites', submitLabel: 'Add Site', values: postedValues(form, session.host.timezone), errors };
        return {
          fragment: <SiteForm {...props} currency={session.host.defaultCurrency} />,
          page: <SiteFormPage session={session} title="Add Site" {...props} />,
        };
      },
    );
  })
  .get('/:id', async (c) => c.html(await detailPage(c, c.req.param('id'))))
  .get('/:id/live', async (c) => {
    const session = c.get('staff');
    const site = await getSite(getDb(c.env.DB), session.host.id, c.req.param('id'), undefined, session.siteIds);
    const live = await siteSummary(c, site);
    return c.html(<LiveSummaryCard siteId={site.id} summary={live.summary} liveUnavailable={live.liveUnavailable} timezone={session.host.timezone} />);
  })
  .get('/:id/edit', async (c) => {
    const session = c.get('staff');
    const site = await getSite(getDb(c.env.DB), session.host.id, c.req.param('id'), undefined, session.siteIds);
    return c.html(
      <SiteFormPage
        session={session}
        title={`Edit ${site.name}`}
        action={`/admin/sites/${site.id}`}
        cancelHref={`/admin/sites/${site.id}`}
        submitLabel="Save changes"
        values={formValuesOf(site)}
      />,
    );
  })
  .post('/:id', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    // Resolve first, so another host's id is a 404 rather than a form with errors.
    const site = await getSite(db, session.host.id, c.req.param('id'), undefined, session.siteIds);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateSite(db, session.host.id, staffActor(session), site.id, siteFormToInput(form));
        return redirectAfterPost(c, `/admin/sites/${site.id}?done=saved`);
      },
      (errors) => {
        const props = {
          action: `/admin/sites/${site.id}`,
          cancelHref: `/admin/sites/${site.id}`,
          submitLabel: 'Save changes',
          values: postedValues(form, site.timezone),
          errors,
        };
        return {
          fragment: <SiteForm {...props} currency={session.host.defaultCurrency} />,
          page: <SiteFormPage session={session} title={`Edit ${site.name}`} {...props} />,
        };
      },
    );
  })
  .post('/:id/segments', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const site = await getSite(db, session.host.id, c.req.param('id'), undefined, session.siteIds);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await addSegment(db, session.host.id, staffActor(session), site.id, { cidr: form.cidr ?? '', label: form.label ?? '' });
        return redirectAfterPost(c, `/admin/sites/${site.id}?done=segment-added#segments`);
      },
      async (errors) => {
        const page = await detailPage(c, site.id, { segmentForm: { values: { cidr: form.cidr ?? '', label: form.label ?? '' }, errors } });
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/segments/:segmentId/remove', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    await removeSegment(db, session.host.id, staffActor(session), c.req.param('id'), c.req.param('segmentId'), session.siteIds);
    return redirectAfterPost(c, `/admin/sites/${c.req.param('id')}?done=segment-removed#segments`);
  })
  // The code is rendered in this response only (never stored, never put in a URL).
  .post('/:id/agents', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        const issued = await createAgent(db, session.host.id, staffActor(session), { role: session.role, siteIds: session.siteIds }, c.req.param('id'), { name: form.name ?? '' });
        return c.html(await detailPage(c, c.req.param('id'), { issued }), 201);
      },
      async (errors) => {
        const page = await detailPage(c, c.req.param('id'), { agentErrors: errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/:id/agents/:agentId/regenerate', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const issued = await regenerateAgentCode(db, session.host.id, staffActor(session), { role: session.role, siteIds: session.siteIds }, c.req.param('id'), c.req.param('agentId'));
    return c.html(await detailPage(c, c.req.param('id'), { issued }));
  })
  .post('/:id/agents/:agentId/revoke', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    await revokeAgent(db, session.host.id, staffActor(session), { role: session.role, siteIds: session.siteIds }, c.req.param('id'), c.req.param('agentId'));
    return redirectAfterPost(c, `/admin/sites/${c.req.param('id')}?done=revoked#agents`);
  });
