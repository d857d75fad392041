/**
 * The default cron step (every 15 minutes with the others in src/index.ts). Per host, in order:
 * fetch the hashprice (URL source), open cases past the grace days, start automatic redirects,
 * bring redirect progress up to date, post the daily hashrate credit, close settled cases
 * (restoring their pools). Every step is idempotent (guarded writes, unique keys), so a second
 * run, or two at once, changes nothing more. One host's failure does not stop the others.
 */
import { getDb } from '../db/client';
import type { Bindings } from '../env';
import { fetchHashprices, postHashrateCredits } from './credit';
import { autoCloseSettled, autoOpenCases, autoStartRedirects, hostsForDefaultCron, syncRedirects } from './service';
import { getDefaultSettings } from './settings';

export async function runDefaultCron(env: Bindings, now = Date.now()): Promise<void> {
  const db = getDb(env.DB);
  for (const host of await hostsForDefaultCron(db)) {
    try {
      const settings = await getDefaultSettings(db, host.id);
      if (settings.payDown && settings.hashpriceSource === 'url' && settings.hashpriceUrl) await fetchHashprices(db, host.id, settings.hashpriceUrl, now);
      await autoOpenCases(db, env, host.id, settings, host.timezone, now);
      await autoStartRedirects(db, env, host.id, settings, now);
      await syncRedirects(db, env, host.id, { now });
      await postHashrateCredits(db, env, host.id, now);
      await autoCloseSettled(db, env, host.id, { now });
    } catch (error) {
      console.error(`[default] cron for host ${host.id} failed`, error);
    }
  }
}
