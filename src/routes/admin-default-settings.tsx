import { h } from '#jsx';
import type { Context } from 'hono';
import { Hono } from '../lib/hono';
import { can, requireThat } from '../auth/permissions';
import { getDb } from '../db/client';
import {
  defaultSettingsFormToInput,
  getDefaultSettings,
  hashpriceText,
  parseHashpriceCsv,
  recentHashprices,
  setHashprices,
  setManualHashprice,
  updateDefaultSettings,
  type DefaultSettings,
} from '../default/settings';
import type { AppEnv } from '../env';
import { staffActor } from '../hosts/service';
import { ValidationError, type FieldErrors } from '../lib/errors';
import { readForm, redirectAfterPost } from '../lib/http';
import { DefaultSettingsForm, DefaultSettingsPage, type DefaultSettingsValues } from '../../views/pages/settings/default';
import { handleForm } from './forms';

const valuesOf = (s: DefaultSettings): DefaultSettingsValues => ({
  holding_pool_url: s.holdingPoolUrl ?? '',
  holding_account: s.holdingAccount ?? '',
  holding_pool2_url: s.holdingPool2Url ?? '',
  holding_account2: s.holdingAccount2 ?? '',
  holding_pool3_url: s.holdingPool3Url ?? '',
  holding_account3: s.holdingAccount3 ?? '',
  worker_rule: s.workerRule,
  pool_password: s.poolPassword,
  grace_days: s.graceDays === null ? '' : String(s.graceDays),
  auto_redirect_days: s.autoRedirectDays === null ? '' : String(s.autoRedirectDays),
  confirm_minutes: String(s.confirmMinutes),
  pay_down: s.payDown,
  hashprice_source: s.hashpriceSource,
  hashprice_url: s.hashpriceUrl ?? '',
  notice_emails: s.noticeEmails,
});

const postedValues = (form: Record<string, string>): DefaultSettingsValues => defaultSettingsFormToInput(form);

async function page(
  c: Context<AppEnv>,
  extra: { values?: DefaultSettingsValues; errors?: FieldErrors; hashpriceErrors?: FieldErrors; hashpriceValues?: { day: string; hashprice: string; csv: string }; hashpriceNotice?: string } = {},
) {
  const session = c.get('staff');
  const db = getDb(c.env.DB);
  const [settings, prices] = await Promise.all([getDefaultSettings(db, session.host.id), recentHashprices(db, session.host.id)]);
  return (
    <DefaultSettingsPage
      session={session}
      values={extra.values ?? valuesOf(settings)}
      errors={extra.errors}
      saved={c.req.query('saved') === '1'}
      hashprices={prices.map((p) => ({ day: p.day, priceText: hashpriceText(p.priceMicros), source: p.source }))}
      hashpriceErrors={extra.hashpriceErrors}
      hashpriceValues={extra.hashpriceValues}
      hashpriceNotice={extra.hashpriceNotice ?? (c.req.query('hashprice') === '1' ? 'Hashprice saved.' : undefined)}
    />
  );
}

/** Settings → Default and holding pool (owner/admin change it; staff read it). Mounted before the other settings routes. */
export const adminDefaultSettingsRoutes = new Hono<AppEnv>()
  .get('/', async (c) => c.html(await page(c)))
  .post('/', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageBilling(session.role), 'Only an owner or admin can change default settings.');
    const form = await readForm(c);
    return handleForm(
      c,
      async () => {
        await updateDefaultSettings(getDb(c.env.DB), session.host.id, staffActor(session), defaultSettingsFormToInput(form));
        return redirectAfterPost(c, '/admin/settings/default?saved=1');
      },
      async (errors) => ({
        fragment: <DefaultSettingsForm session={session} values={postedValues(form)} errors={errors} />,
        page: await page(c, { values: postedValues(form), errors }),
      }),
    );
  })
  .post('/hashprice', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageBilling(session.role), 'Only an owner or admin can set the hashprice.');
    const form = await readForm(c);
    try {
      await setManualHashprice(getDb(c.env.DB), session.host.id, staffActor(session), form);
      return redirectAfterPost(c, '/admin/settings/default?hashprice=1');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return c.html(await page(c, { hashpriceErrors: error.fields, hashpriceValues: { day: form.day ?? '', hashprice: form.hashprice ?? '', csv: '' } }), 422);
    }
  })
  .post('/hashprice/import', async (c) => {
    const session = c.get('staff');
    requireThat(can.manageBilling(session.role), 'Only an owner or admin can import hashprices.');
    const form = await readForm(c);
    try {
      const days = parseHashpriceCsv(form.csv ?? '');
      await setHashprices(getDb(c.env.DB), session.host.id, staffActor(session), days, 'csv');
      return redirectAfterPost(c, '/admin/settings/default?hashprice=1');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return c.html(await page(c, { hashpriceErrors: error.fields, hashpriceValues: { day: '', hashprice: '', csv: form.csv ?? '' } }), 422);
    }
  });
