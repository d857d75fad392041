import { updateDefaultSettings } from '../../src/default/settings';
import { staffActor } from '../../src/hosts/service';
import { db, type TestHost } from './fixtures';

/**
 * Settings → Default and holding pool for a test host (docs/DEFAULT.md): the holding pool given
 * (and its backups, in priority order),
 * worker `hostacct.<serial>`, defaults and redirects by hand only, no notice emails.
 */
export function setHoldingPool(host: TestHost, holdingPoolUrl: string, backups: string[] = []) {
  return updateDefaultSettings(db(), host.hostId, staffActor(host.owner.session), {
    holding_pool_url: holdingPoolUrl,
    holding_account: 'hostacct',
    holding_pool2_url: backups[0] ?? '',
    holding_pool3_url: backups[1] ?? '',
    worker_rule: '{account}.{serial}',
    pool_password: 'x',
    grace_days: '',
    auto_redirect_days: '',
    confirm_minutes: '30',
    pay_down: true,
    hashprice_source: 'manual',
    hashprice_url: '',
    notice_emails: false,
  });
}
