import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { getDb } from '../db/client';
import {
  addDomain,
  checkDomain,
  cnameTarget,
  listDomains,
  removeDomain,
  verificationMode,
  verifyDomainForDevelopment,
} from '../domains/service';
import type { AppEnv } from '../env';
import { BRAND_DEFAULT_COLORS } from '../hosts/palette';
import { getBranding, LOGO_MAX_BYTES, readLogo, removeLogo, updateBranding, type Branding } from '../hosts/branding';
import { notFound } from '../lib/errors';
import { readForm, readMultipartForm, redirectAfterPost } from '../lib/http';
import {
  staffActor,
  createApiKey,
  getHostSettings,
  listApiKeys,
  revokeApiKey,
  updateHostSettings,
} from '../hosts/service';
import { ApiKeysPage, GeneralSettingsForm, GeneralSettingsPage, type GeneralValues } from '../../views/pages/settings';
import { BrandingPage, type BrandingValues } from '../../views/pages/settings/branding';
import { DomainsPage } from '../../views/pages/settings/domains';
import { handleForm } from './forms';
import { ALERT_RULE_LIMITS, alertRulesFormToInput, type AlertRulesInput } from '../alerts/schema';
import { getAlertRules, updateAlertRules } from '../alerts/service';
import { AlertRulesForm, AlertRulesPage, type AlertRulesValues } from '../../views/pages/settings/alerts';
import { billingSettingsFormToInput, bpsToPercentText, getBillingSettings, updateBillingSettings, type BillingSettings } from '../billing/settings';
import { microsToDecimal } from '../sites/schema';
import { BillingSettingsForm, BillingSettingsPage, type BillingSettingsValues } from '../../views/pages/settings/billing';
import { can, requireThat } from '../auth/permissions';
import { createHostModel, deleteHostModel, getHostModel, listHostModels, updateHostModel } from '../equipment/power-data';
import { EditModelPage, hostModelValues, ModelsPage, type HostModelValues } from '../../views/pages/settings/models';

const MODEL_NOTICES: Record<string, string> = { added: 'Model added.', saved: 'Model saved.', deleted: 'Model deleted.' };
const modelFormValues = (form: Record<string, string>): HostModelValues => ({
  name: form.name ?? '',
  nominal_hashrate_ths: form.nominal_hashrate_ths ?? '',
  nominal_power_w: form.nominal_power_w ?? '',
});

const billingValues = (s: BillingSettings): BillingSettingsValues => ({
  default_currency: s.defaultCurrency,
  timezone: s.timezone,
  default_energy_rate_per_kwh: s.defaultEnergyRateMicrosPerKwh === null ? '' : microsToDecimal(s.defaultEnergyRateMicrosPerKwh),
  net_days: String(s.netDays),
  billing_day: String(s.billingDay),
  invoice_prefix: s.invoicePrefix,
  tax_enabled: s.taxEnabled,
  tax_label: s.taxLabel ?? '',
  tax_rate_percent: bpsToPercentText(s.taxRateBps),
  business_address: s.businessAddress ?? '',
  remit_to: s.remitTo ?? '',
  invoice_footer: s.invoiceFooter ?? '',
});

const alertRulesValues = (rules: AlertRulesInput): AlertRulesValues => ({
  offline_minutes: String(rules.offline_minutes),
  low_hashrate_pct: String(rules.low_hashrate_pct),
  low_hashrate_minutes: String(rules.low_hashrate_minutes),
  over_temp_c: String(rules.over_temp_c),
  over_temp_minutes: String(rules.over_temp_minutes),
  cooldown_minutes: String(rules.cooldown_minutes),
  email_customer: rules.email_customer,
});

/** The branded portal sign-in address on the platform, as this request reached it. */
const portalSignInUrl = (c: Context<AppEnv>, hostSlug: string | null) => (hostSlug ? `${new URL(c.req.url).origin}/host/${hostSlug}/auth` : null);

/** The admin preview of the saved logo; the key in the query string changes with every upload. */
const logoUrl = (branding: Branding) => (branding.logoKey ? `/admin/settings/branding/logo?v=${encodeURIComponent(branding.logoKey.split('/').pop()!)}` : null);

const brandingValues = (branding: Branding): BrandingValues => ({
  slogan: branding.slogan ?? '',
  primary_color: branding.primaryColor ?? BRAND_DEFAULT_COLORS.primaryColor,
  accent_color: branding.accentColor ?? BRAND_DEFAULT_COLORS.accentColor,
});

const BRAND_DEFAULTS = { primary: BRAND_DEFAULT_COLORS.primaryColor, accent: BRAND_DEFAULT_COLORS.accentColor };

/** Room for the form's other parts around a 2 MB logo; anything bigger is refused unread. */
const BRANDING_BODY_LIMIT = LOGO_MAX_BYTES + 64 * 1024;

const DOMAIN_NOTICES: Record<string, string> = {
  added: 'Domain added. Point its CNAME record at the platform, then check its status.',
  checked: 'Status updated.',
  verified: 'Domain verified for development.',
  removed: 'Domain removed.',
};

async function domainsPage(c: Context<AppEnv>, extra: { values?: { hostname: string }; errors?: Record<string, string>; notice?: string } = {}) {
  const session = c.get('staff');
  const url = new URL(c.req.url);
  return (
    <DomainsPage
      session={session}
      domains={await listDomains(getDb(c.env.DB), session.host.id)}
      mode={verificationMode(c.env)}
      target={cnameTarget(c.env)}
      platformOrigin={url.origin}
      {...extra}
    />
  );
}

export const adminSettingsRoutes = new Hono<AppEnv>()
  .get('/', async (c) => {
    const session = c.get('staff');
    const host = await getHostSettings(getDb(c.env.DB), session.host.id);
    const values: GeneralValues = {
      name: host.name,
      main_slug: host.mainSlug,
      host_slug: host.hostSlug ?? '',
      default_currency: host.defaultCurrency,
      timezone: host.timezone,
    };
    return c.html(
      <GeneralSettingsPage session={session} values={values} saved={c.req.query('saved') === '1'} portalSignInUrl={portalSignInUrl(c, host.hostSlug)} />,
    );
  })
  .post('/', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    const values: GeneralValues = {
      name: form.name ?? '',
      main_slug: form.main_slug ?? '',
      host_slug: form.host_slug ?? '',
      default_currency: form.default_currency ?? '',
      timezone: form.timezone ?? '',
    };
    return handleForm(
      c,
      async () => {
        await updateHostSettings(db, session, form);
        return redirectAfterPost(c, '/admin/settings?saved=1');
      },
      async (errors) => {
        const signIn = portalSignInUrl(c, (await getHostSettings(db, session.host.id)).hostSlug);
        return {
          fragment: <GeneralSettingsForm values={values} errors={errors} editable portalSignInUrl={signIn} />,
          page: <GeneralSettingsPage session={session} values={values} errors={errors} portalSignInUrl={signIn} />,
        };
      },
    );
  })
  .get('/branding', async (c) => {
    const session = c.get('staff');
    const branding = await getBranding(getDb(c.env.DB), session.host.id);
    const notice = c.req.query('saved') ? 'Branding saved.' : c.req.query('removed') ? 'Logo removed.' : undefined;
    return c.html(
      <BrandingPage
        session={session}
        hostName={branding.name}
        values={brandingValues(branding)}
        logoUrl={logoUrl(branding)}
        defaults={BRAND_DEFAULTS}
        notice={notice}
      />,
    );
  })
  .post('/branding', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readMultipartForm(c, BRANDING_BODY_LIMIT);
    return handleForm(
      c,
      async () => {
        await updateBranding(db, c.env, session, { fields: form?.fields ?? {}, logo: form?.files.logo ?? null, bodyTooLarge: form === null });
        return redirectAfterPost(c, '/admin/settings/branding?saved=1');
      },
      async (errors) => {
        const branding = await getBranding(db, session.host.id);
        const saved = brandingValues(branding);
        // What was typed comes back (an unread, oversized body has nothing to give back).
        const values: BrandingValues = form
          ? { slogan: form.fields.slogan ?? '', primary_color: form.fields.primary_color ?? saved.primary_color, accent_color: form.fields.accent_color ?? saved.accent_color }
          : saved;
        const page = (
          <BrandingPage session={session} hostName={branding.name} values={values} logoUrl={logoUrl(branding)} defaults={BRAND_DEFAULTS} errors={errors} />
        );
        return { fragment: page, page };
      },
    );
  })
  .get('/branding/logo', async (c) => {
    const object = await readLogo(getDb(c.env.DB), c.env, c.get('staff').host.id);
    if (!object) throw notFound('Logo');
    return c.body(object.body, 200, {
      'Content-Type': object.httpMetadata?.contentType ?? 'application/octet-stream',
      'Cache-Control': 'private, max-age=86400',
      ETag: object.httpEtag,
    });
  })
  .post('/branding/logo/remove', async (c) => {
    await removeLogo(getDb(c.env.DB), c.env, c.get('staff'));
    return redirectAfterPost(c, '/admin/settings/branding?removed=1');
  })
  .get('/domains', async (c) => {
    const notice = DOMAIN_NOTICES[Object.keys(DOMAIN_NOTICES).find((key) => c.req.query(key) === '1') ?? ''];
    return c.html(await domainsPage(c, { notice }));
  })
  .post('/domains', async (c) => {
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await addDomain(getDb(c.env.DB), c.env, c.get('staff'), form);
        return redirectAfterPost(c, '/admin/settings/domains?added=1');
      },
      async (errors) => {
        const page = await domainsPage(c, { values: { hostname: form.hostname ?? '' }, errors });
        return { fragment: page, page };
      },
    );
  })
  .post('/domains/:id/check', async (c) => {
    await checkDomain(getDb(c.env.DB), c.env, c.get('staff'), c.req.param('id'));
    return redirectAfterPost(c, '/admin/settings/domains?checked=1');
  })
  .post('/domains/:id/verify-dev', async (c) => {
    await verifyDomainForDevelopment(getDb(c.env.DB), c.env, c.get('staff'), c.req.param('id'));
    return redirectAfterPost(c, '/admin/settings/domains?verified=1');
  })
  .post('/domains/:id/remove', async (c) => {
    await removeDomain(getDb(c.env.DB), c.env, c.get('staff'), c.req.param('id'));
    return redirectAfterPost(c, '/admin/settings/domains?removed=1');
  })
  .get('/alerts', async (c) => {
    const session = c.get('staff');
    const rules = await getAlertRules(getDb(c.env.DB), session.host.id);
    return c.html(<AlertRulesPage session={session} values={alertRulesValues(rules)} saved={c.req.query('saved') === '1'} />);
  })
  .post('/alerts', async (c) => {
    const session = c.get('staff');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateAlertRules(getDb(c.env.DB), session, staffActor(session), alertRulesFormToInput(form));
        return redirectAfterPost(c, '/admin/settings/alerts?saved=1');
      },
      (errors) => {
        // What was typed comes back as typed.
        const values: AlertRulesValues = {
          ...Object.fromEntries(Object.keys(ALERT_RULE_LIMITS).map((key) => [key, form[key] ?? ''])),
          email_customer: form.email_customer === 'on',
        } as AlertRulesValues;
        return { fragment: <AlertRulesForm session={session} values={values} errors={errors} />, page: <AlertRulesPage session={session} values={values} errors={errors} /> };
      },
    );
  })
  .get('/billing', async (c) => {
    const session = c.get('staff');
    const settings = await getBillingSettings(getDb(c.env.DB), session.host.id);
    return c.html(<BillingSettingsPage session={session} values={billingValues(settings)} saved={c.req.query('saved') === '1'} />);
  })
  .post('/billing', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageBilling(session.role), 'Only an owner or admin can change billing settings.');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateBillingSettings(getDb(c.env.DB), session.host.id, staffActor(session), billingSettingsFormToInput(form));
        return redirectAfterPost(c, '/admin/settings/billing?saved=1');
      },
      (errors) => {
        // What was typed comes back as typed.
        const typed = (key: keyof BillingSettingsValues) => form[key] ?? '';
        const values: BillingSettingsValues = {
          default_currency: typed('default_currency'),
          timezone: typed('timezone'),
          default_energy_rate_per_kwh: typed('default_energy_rate_per_kwh'),
          net_days: typed('net_days'),
          billing_day: typed('billing_day'),
          invoice_prefix: typed('invoice_prefix'),
          tax_enabled: form.tax_enabled === 'on',
          tax_label: typed('tax_label'),
          tax_rate_percent: typed('tax_rate_percent'),
          business_address: typed('business_address'),
          remit_to: typed('remit_to'),
          invoice_footer: typed('invoice_footer'),
        };
        return { fragment: <BillingSettingsForm session={session} values={values} errors={errors} />, page: <BillingSettingsPage session={session} values={values} errors={errors} /> };
      },
    );
  })
  .get('/api-keys', async (c) => {
    const session = c.get('staff');
    return c.html(<ApiKeysPage session={session} keys={await listApiKeys(getDb(c.env.DB), session.host.id)} />);
  })
  .post('/api-keys', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    // The new key is rendered in this response (never stored, never put in a URL).
    return handleForm(
      c,
      async () => {
        const created = await createApiKey(db, session, form);
        return c.html(<ApiKeysPage session={session} keys={await listApiKeys(db, session.host.id)} created={created} />, 201);
      },
      async (errors) => {
        const keys = await listApiKeys(db, session.host.id);
        const page = <ApiKeysPage session={session} keys={keys} values={{ name: form.name ?? '', scope_ticket_notes: Boolean(form.scope_ticket_notes) }} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .post('/api-keys/:id/revoke', async (c) => {
    await revokeApiKey(getDb(c.env.DB), c.get('staff'), c.req.param('id'));
    return redirectAfterPost(c, '/admin/settings/api-keys');
  })
  // Settings → Models: the host's own miner models (src/equipment/power-data.ts).
  .get('/models', async (c) => {
    const session = c.get('staff');
    const models = await listHostModels(getDb(c.env.DB), session.host.id);
    return c.html(<ModelsPage session={session} models={models} notice={MODEL_NOTICES[c.req.query('done') ?? '']} />);
  })
  .post('/models', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await createHostModel(db, session.host.id, staffActor(session), modelFormValues(form));
        return redirectAfterPost(c, '/admin/settings/models?done=added');
      },
      async (errors) => {
        const page = <ModelsPage session={session} models={await listHostModels(db, session.host.id)} values={modelFormValues(form)} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .get('/models/:id/edit', async (c) => {
    const session = c.get('staff');
    const model = await getHostModel(getDb(c.env.DB), session.host.id, c.req.param('id'));
    return c.html(<EditModelPage session={session} model={model} values={hostModelValues(model)} />);
  })
  .post('/models/:id', async (c) => {
    const session = c.get('staff');
    const db = getDb(c.env.DB);
    const model = await getHostModel(db, session.host.id, c.req.param('id'));
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateHostModel(db, session.host.id, staffActor(session), model.id, modelFormValues(form));
        return redirectAfterPost(c, '/admin/settings/models?done=saved');
      },
      (errors) => {
        const page = <EditModelPage session={session} model={model} values={modelFormValues(form)} errors={errors} />;
        return { fragment: page, page };
      },
    );
  })
  .post('/models/:id/delete', async (c) => {
    const session = c.get('staff');
    await deleteHostModel(getDb(c.env.DB), session.host.id, staffActor(session), c.req.param('id'));
    return redirectAfterPost(c, '/admin/settings/models?done=deleted');
  });
