import { updateDefaultSettings } from '../../src/default/settings';
import { staffActor } from '../../src/hosts/service';
import { db, type TestHost } from './fixtures';

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
