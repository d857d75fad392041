import { h } from '#jsx';
import type { UnavailableSite } from '../../src/live/outage';

const namesOf = (sites: readonly { name: string }[]): string => new Intl.ListFormat('en', { type: 'conjunction' }).format(sites.map((site) => site.name));

/**
 * Shown when a site's live state (its SiteState object) failed or timed out for this page: the
 * inventory is still listed, without that site's live values (src/live/client.ts, LiveOutage).
 */
export function LiveUnavailableNotice(props: { sites?: readonly UnavailableSite[] }) {
  const sites = props.sites ?? [];
  if (sites.length === 0) return null;
  return (
    <div class="live-unavailable" role="status">
      <strong>Live data unavailable for {namesOf(sites)}.</strong>{' '}
      <span>
        The inventory is complete; live status, hashrate, power and temperature for {sites.length === 1 ? 'this site' : 'these sites'} are missing
        until its live state answers again. Reload the page to retry.
      </span>
    </div>
  );
}
