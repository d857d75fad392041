import { h } from '#jsx';
import type { FieldErrors } from '../../../src/lib/errors';
import { FieldMessages } from '../../components/form';

export interface SiteChoice {
  id: string;
  name: string;
}

/**
 * Every site, or only the ticked ones (posted as site_access + site_<id>=on). `idPrefix` keeps
 * ids unique when several of these are on one page (one per member).
 */
export function SiteAccessFields(props: { sites: SiteChoice[]; siteIds: string[] | null; errors?: FieldErrors; idPrefix: string; legend?: string }) {
  const error = props.errors?.site_access;
  const some = props.siteIds !== null;
  const errorId = `${props.idPrefix}-site_access`;
  return (
    <fieldset class={error ? 'field site-access has-error' : 'field site-access'} aria-describedby={error ? `${errorId}-error` : undefined}>
      <legend>{props.legend ?? 'Site access'}</legend>
      <label class="choice">
        <input type="radio" name="site_access" value="all" checked={!some} /> Every site
      </label>
      <label class="choice">
        <input type="radio" name="site_access" value="some" checked={some} /> Only these sites
      </label>
      {props.sites.length === 0 ? (
        <p class="hint">No sites yet: add sites first to limit someone to them.</p>
      ) : (
        <ul class="site-access-list">
          {props.sites.map((site) => (
            <li>
              <label class="choice">
                <input type="checkbox" name={`site_${site.id}`} checked={props.siteIds?.includes(site.id) ?? false} /> {site.name}
              </label>
            </li>
          ))}
        </ul>
      )}
      <FieldMessages name={errorId} error={error} />
    </fieldset>
  );
}

export const siteNames = (sites: SiteChoice[], siteIds: string[] | null) =>
  siteIds === null ? 'Every site' : siteIds.map((id) => sites.find((site) => site.id === id)?.name ?? 'Removed site').join(', ') || 'No site';
