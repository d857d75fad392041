import { updateDefaultSettings } from '../../src/default/settings';
import { staffActor } from '../../src/hosts/service';
import { createApiKeyFor, createHost, createTestCustomer, db, type TestHost } from './fixtures';
import { createSite, registeredAgent } from './telemetry';

/**
 * Settings → Default and holding pool for a test host (docs/DEFAULT.md): the holding pool given,
 * worker `hostacct.<serial>`, defaults and redirects by hand only, no notice emails, unless
 * `overrides` says otherwise (form field names).
 */
export function setHoldingPool(host: TestHost, holdingPoolUrl: string, overrides: Record<string, string | boolean> = {}) {
  return updateDefaultSettings(db(), host.hostId, staffActor(host.owner.session), {
    holding_pool_url: holdingPoolUrl,
    holding_account: 'hostacct',
    worker_rule: '{account}.{serial}',
    pool_password: 'x',
    grace_days: '',
    auto_redirect_days: '',
    confirm_minutes: '30',
    pay_down: true,
    hashprice_source: 'manual',
    hashprice_url: '',
    notice_emails: false,
    ...overrides,
  });
}

/**
 * A host with one site and its registered agent, a customer and another customer of the same host,
 * an API key, and the default settings given (the form's fields, as `updateDefaultSettings` takes them).
 */
export async function defaultRedirectSetup(name: string, settings: Record<string, unknown>) {
  const host = await createHost(name);
  const siteId = await createSite(host);
  const agent = await registeredAgent(host, siteId);
  const customer = await createTestCustomer(host, { name: `${name} Customer` });
  const other = await createTestCustomer(host, { name: `${name} Other` });
  const key = await createApiKeyFor(host);
  await updateDefaultSettings(db(), host.hostId, staffActor(host.owner.session), settings);
  return { host, siteId, agent, customer, other, key };
}
