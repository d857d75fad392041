import * as z from './lib/schema';
import type { AuthedApiKey } from './auth/api-keys';
import type { StaffSession } from './auth/staff-session';
import type { BatchReads } from './db/batch-reads';
import type { Db } from './db/client';
import type { SiteStateApi } from './live/contract';
import type { PortalContext } from './portal/context';
import type { PortalSessionResult } from './portal/session';

/** The Worker's bindings, as wrangler.toml declares them. */
export interface Bindings {
  DB: D1Database;
  ASSETS: Fetcher;
  /** Messages are `{ outboxId }` (src/email/outbox.ts). */
  EMAIL_QUEUE: Queue<EmailQueueMessage>;
  FILES: R2Bucket;
  /** Invoice generation jobs (src/billing/queue.ts): one message per (host, customer, period). */
  BILLING_QUEUE: Queue<unknown>;
  /** Announcement fan-out (src/notify/queue.ts): one message per chunk of recipients. */
  NOTIFY_QUEUE: Queue<unknown>;
  /** The host's data export (src/team/export.ts): one message per build step. */
  EXPORT_QUEUE: Queue<unknown>;
  /** One SiteState Durable Object per site (src/live/site-state.ts), typed by its RPC contract. */
  SITE_STATE: DurableObjectNamespace<SiteStateApi>;
  APP_HOST: string;
  ENVIRONMENT: string;
  SESSION_SECRET: string;
  /** Key for PDU SNMP credentials at rest (src/pdu/crypto.ts): a development default in wrangler.toml, a secret in production. */
  PDU_SECRET_KEY?: string;
  /** Optional secrets: MailChannels Email API (else the local outbox) and the sender domain. */
  MAILCHANNELS_API_KEY?: string;
  MAIL_FROM_DOMAIN?: string;
  /** Optional secrets: DKIM signing by MailChannels; all three or none (README, "Email (MailChannels)"). */
  MAILCHANNELS_DKIM_DOMAIN?: string;
  MAILCHANNELS_DKIM_SELECTOR?: string;
  /** Base64 DER (a PEM is accepted and normalised). */
  MAILCHANNELS_DKIM_PRIVATE_KEY?: string;
  /** Optional secrets: Cloudflare for SaaS custom hostnames (else the development path). */
  CF_API_TOKEN?: string;
  CF_ZONE_ID?: string;
}

export interface EmailQueueMessage {
  outboxId: string;
}

const varsSchema = z.object({
  APP_HOST: z.string().check(z.minLength(1)),
  ENVIRONMENT: z.enum(['development', 'test', 'production']),
  SESSION_SECRET: z.string().check(z.minLength(32, 'SESSION_SECRET must be at least 32 characters')),
});

export type Vars = z.infer<typeof varsSchema>;

/** The last configuration parsed, and from what: every request of an isolate carries the same. */
let parsed: { from: readonly [unknown, unknown, unknown]; vars: Vars } | null = null;

/**
 * Fails loudly on a misconfigured deployment instead of serving with a weak secret. Parsed once
 * per configuration, not per request (zod's parse showed in every request's CPU profile).
 */
export function parseVars(env: Bindings): Vars {
  const from = [env.APP_HOST, env.ENVIRONMENT, env.SESSION_SECRET] as const;
  if (parsed && parsed.from.every((value, i) => value === from[i])) return parsed.vars;
  const vars = varsSchema.parse({ APP_HOST: env.APP_HOST, ENVIRONMENT: env.ENVIRONMENT, SESSION_SECRET: env.SESSION_SECRET });
  if (vars.ENVIRONMENT === 'production' && vars.SESSION_SECRET.startsWith('dev-only')) {
    throw new Error('SESSION_SECRET is the development value; set a real secret before serving production traffic.');
  }
  parsed = { from, vars };
  return vars;
}

/** Request-scoped values set by middleware (typed `c.var`). */
export interface Variables {
  requestId: string;
  vars: Vars;
  /** Set on the admin app once the staff session is verified and membership re-checked. */
  staff: StaffSession;
  /**
   * A read-only page's first reads (staff or portal), for its door's session check to batch
   * (src/middleware/page-prefetch.ts); the scope is the door's (staff: host id; portal: host and customer).
   */
  pagePrefetch: { handle: object; reads: (db: Db, scope: never) => Promise<BatchReads<unknown> | null> } | undefined;
  /** Those reads' result, once the session confirmed them (`pagePrefetch(…).take(c)`). */
  pagePrefetched: { handle: object; value: unknown } | undefined;
  /** Set on /api/v1 once the bearer key is verified. */
  apiKey: AuthedApiKey;
  /** Set on portal mounts: the host (white label), base path and, once known, member/customer. */
  portal: PortalContext;
  /**
   * Set with `portal` on the slug and domain mounts: the portal cookie's session, read in the
   * same round trip as the host. Undefined in View Portal (staff are not members).
   */
  portalSession: PortalSessionResult | undefined;
}

export type AppEnv = { Bindings: Bindings; Variables: Variables };
