import type { Bindings } from '../env';
import type { DOMAIN_STATUSES } from '../db/schema';

/**
 * Cloudflare for SaaS custom hostnames: how a host's own domain gets a certificate and is routed
 * to this Worker. Every call is `…/zones/{zone_id}/custom_hostnames[/{id}]` with an API token
 * (`Authorization: Bearer`, permission "SSL and Certificates: Edit"); every answer is the v4
 * envelope `{ success, errors: [{ code, message }], messages, result }`.
 *
 * - create: `POST /client/v4/zones/{zone}/custom_hostnames` with `{ hostname, ssl: { method: "http",
 *   type: "dv" } }` → `result: { id, hostname, status, ssl: { status, … }, verification_errors?, … }`.
 * - details: `GET …/custom_hostnames/{id}` → the same `result`.
 * - edit: `PATCH …/custom_hostnames/{id}` with the same `ssl` asks Cloudflare to retry domain
 *   control validation (needed for `http` when the CNAME was added after the create).
 * - delete: `DELETE …/custom_hostnames/{id}` → `{ id }` (also removes its certificates).
 *
 * A hostname serves traffic once `status` is `active` and `ssl.status` is `active`.
 *
 * @see https://developers.cloudflare.com/api/resources/custom_hostnames/methods/create/
 * @see https://developers.cloudflare.com/api/resources/custom_hostnames/methods/get/
 * @see https://developers.cloudflare.com/api/node/resources/custom_hostnames/ (edit, delete)
 * @see https://developers.cloudflare.com/cloudflare-for-platforms/cloudflare-for-saas/domain-support/hostname-validation/
 */

export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';

export interface CloudflareConfig {
  apiToken: string;
  zoneId: string;
}

/** The credentials when both are set; null means Cloudflare for SaaS is not configured. */
export function cloudflareConfig(env: Pick<Bindings, 'CF_API_TOKEN' | 'CF_ZONE_ID'>): CloudflareConfig | null {
  const apiToken = env.CF_API_TOKEN?.trim();
  const zoneId = env.CF_ZONE_ID?.trim();
  return apiToken && zoneId ? { apiToken, zoneId } : null;
}

/** The fields of a custom hostname this app reads (Cloudflare sends more). */
export interface CustomHostname {
  id: string;
  hostname: string;
  status?: string;
  ssl?: {
    status?: string;
    method?: string;
    type?: string;
    validation_errors?: { message?: string }[];
  };
  verification_errors?: string[];
}

export class CloudflareApiError extends Error {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
    this.name = 'CloudflareApiError';
  }
}

interface Envelope<T> {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: T;
}

const SSL = { method: 'http', type: 'dv' } as const;

export interface CustomHostnamesClient {
  create(hostname: string): Promise<CustomHostname>;
  get(id: string): Promise<CustomHostname>;
  revalidate(id: string): Promise<CustomHostname>;
  /** Resolves when deleted, or when Cloudflare no longer had it (404). */
  remove(id: string): Promise<void>;
}

/** `fetcher` is the global fetch in the Worker; tests pass a fake. */
export function customHostnamesClient(config: CloudflareConfig, fetcher: typeof fetch = fetch): CustomHostnamesClient {
  const base = `${CLOUDFLARE_API}/zones/${encodeURIComponent(config.zoneId)}/custom_hostnames`;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetcher(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${config.apiToken}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CloudflareApiError(0, `Cloudflare could not be reached (${error instanceof Error ? error.message : String(error)}).`);
    }
    let envelope: Envelope<T> | null = null;
    try {
      envelope = (await response.json()) as Envelope<T>;
    } catch {
      // not JSON: reported below with the HTTP status
    }
    if (!response.ok || !envelope?.success || envelope.result === undefined) {
      const messages = (envelope?.errors ?? []).map((e) => (e.code ? `${e.message} (${e.code})` : e.message)).filter(Boolean);
      throw new CloudflareApiError(response.status, messages.length > 0 ? messages.join('; ') : `Cloudflare answered HTTP ${response.status}.`);
    }
    return envelope.result;
  }

  const byId = (id: string) => `/${encodeURIComponent(id)}`;
  return {
    create: (hostname) => call<CustomHostname>('POST', '', { hostname, ssl: SSL }),
    get: (id) => call<CustomHostname>('GET', byId(id)),
    revalidate: (id) => call<CustomHostname>('PATCH', byId(id), { ssl: SSL }),
    async remove(id) {
      try {
        await call<{ id: string }>('DELETE', byId(id));
      } catch (error) {
        if (error instanceof CloudflareApiError && error.httpStatus === 404) return;
        throw error;
      }
    },
  };
}

type DomainStatus = (typeof DOMAIN_STATUSES)[number];

const FAILED_HOSTNAME = new Set(['blocked', 'pending_blocked', 'moved', 'deleted', 'pending_deletion', 'test_blocked', 'test_failed']);
const FAILED_SSL = new Set([
  'expired',
  'deleted',
  'initializing_timed_out',
  'validation_timed_out',
  'issuance_timed_out',
  'deployment_timed_out',
  'deletion_timed_out',
]);

/** Our three states from Cloudflare's many, with what to tell the host. */
export function domainStatusFrom(result: CustomHostname): { status: DomainStatus; detail: string | null } {
  const hostnameStatus = result.status ?? 'unknown';
  const sslStatus = result.ssl?.status ?? 'unknown';
  const problems = [...(result.verification_errors ?? []), ...(result.ssl?.validation_errors ?? []).map((e) => e.message ?? '')].filter(Boolean);
  if (hostnameStatus === 'active' && sslStatus === 'active') return { status: 'active', detail: null };
  const summary = `Cloudflare reports the hostname ${hostnameStatus.replace(/_/g, ' ')} and its certificate ${sslStatus.replace(/_/g, ' ')}.`;
  const detail = problems.length > 0 ? `${summary} ${problems.join(' ')}` : summary;
  if (FAILED_HOSTNAME.has(hostnameStatus) || FAILED_SSL.has(sslStatus)) return { status: 'failed', detail };
  return { status: 'pending', detail };
}
