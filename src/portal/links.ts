import type { Bindings } from '../env';
import type { PortalHost } from './tenant';

/**
 * Links to a host's portal, built one way for invites, password resets, alert emails and the
 * Domains page: the verified custom domain when there is one, else `/host/<slug>` on the
 * platform, with the scheme and port the platform is reached on (`platform`, an origin or any
 * URL on it: the request's, or for a Durable Object the one it learned from its agent's requests).
 */

/** The portal's origin on a custom domain: the platform's scheme and port, that hostname. */
export function portalOrigin(hostname: string, platform: string): string {
  const url = new URL(platform);
  return `${url.protocol}//${hostname}${url.port ? `:${url.port}` : ''}`;
}

/** The absolute origin + base path of a host's portal. */
export function portalBaseUrl(host: Pick<PortalHost, 'customDomain' | 'hostSlug' | 'mainSlug'>, platform: string): string {
  if (host.customDomain) return portalOrigin(host.customDomain, platform);
  const url = new URL(platform);
  return `${url.protocol}//${url.host}/host/${host.hostSlug ?? host.mainSlug}`;
}

/**
 * Where the platform answers when no request has said so (an object that has not yet received
 * one, tests): https://APP_HOST, or wrangler dev's default port in development.
 */
export function platformOrigin(env: Pick<Bindings, 'APP_HOST' | 'ENVIRONMENT'>): string {
  return env.ENVIRONMENT === 'development' ? `http://${env.APP_HOST}:8787` : `https://${env.APP_HOST}`;
}
