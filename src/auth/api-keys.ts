import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client';
import { apiKeys, hosts } from '../db/schema';
import { sha256Hex } from '../lib/ids';

/**
 * What a key may do beyond the host's ordinary API. A host key is a staff credential, but an
 * integration that mirrors tickets to customers must not be able to read staff notes by mistake:
 * only keys created with `tickets:internal_notes` may ask for them.
 */
export const API_KEY_SCOPES = ['tickets:internal_notes'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
export const API_KEY_SCOPE_LABELS: Record<ApiKeyScope, string> = { 'tickets:internal_notes': 'Read internal notes on support tickets' };

/** The stored JSON array; anything unreadable or unknown grants nothing. */
export function parseScopes(stored: string | null | undefined): ApiKeyScope[] {
  try {
    const value: unknown = JSON.parse(stored ?? '[]');
    return Array.isArray(value) ? API_KEY_SCOPES.filter((scope) => value.includes(scope)) : [];
  } catch {
    return [];
  }
}

export interface AuthedApiKey {
  id: string;
  name: string;
  hostId: string;
  hostDefaultCurrency: string;
  lastUsedAt: number | null;
  scopes: ApiKeyScope[];
}

/** Reads `Authorization: Bearer <key>`; null for a missing, unknown or revoked key. */
export async function authenticateApiKey(db: Db, authorization: string | undefined): Promise<AuthedApiKey | null> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return null;
  const keyHash = await sha256Hex(match[1]);
  const row = await db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      hostId: apiKeys.hostId,
      hostDefaultCurrency: hosts.defaultCurrency,
      lastUsedAt: apiKeys.lastUsedAt,
      scopes: apiKeys.scopes,
    })
    .from(apiKeys)
    .innerJoin(hosts, eq(hosts.id, apiKeys.hostId))
    // A closed host's keys stop at once (src/team/close.ts).
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt), isNull(hosts.closedAt)))
    .get();
  return row ? { ...row, scopes: parseScopes(row.scopes) } : null;
}

/** Last-used is informational; writing it at most once a minute keeps the hot path read-only. */
export async function touchApiKey(db: Db, key: AuthedApiKey, now = Date.now()): Promise<void> {
  if (key.lastUsedAt !== null && now - key.lastUsedAt < 60_000) return;
  await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, key.id));
}
