import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { CODE_ALPHABET, CODE_LENGTH, CODE_MAX_FAILURES, createAgent, registerAgent, REGISTER_PLATFORM_FAILURES } from '../../src/agents/service';
import { agents, rateLimits } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { AppError } from '../../src/lib/errors';
import { createHost, db, uniqueId } from '../helpers/fixtures';
import { createSite } from '../helpers/telemetry';

/**
 * Issue 11, weakness 2: registration codes are no longer guessable from many addresses. Every
 * attempt below comes from a fresh address, as an IPv6 block allows; on the code before the fix
 * (6 symbols, per-address limit only) the code survived any number of wrong guesses.
 */

const register = (code: string) => registerAgent(db(), { code, hostname: 'guesser', version: '1', ip: `v6-${uniqueId()}` });
const codeOf = (e: unknown) => (e instanceof AppError ? e.code : String(e));

/** The same selector, a different secret. */
function wrongSecret(code: string): string {
  const last = code[CODE_LENGTH - 1]!;
  const other = CODE_ALPHABET[(CODE_ALPHABET.indexOf(last) + 1) % CODE_ALPHABET.length]!;
  return code.slice(0, -1) + other;
}

describe('weakness 2: registration codes', () => {
  it('are 12 symbols (60 bits)', async () => {
    const host = await createHost('Long Code Host');
    const siteId = await createSite(host);
    const issued = await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, {});
    expect(issued.code).toHaveLength(12);
  });

  it('expire after 5 wrong guesses at their secret, from any addresses', async () => {
    const host = await createHost('Guessed Code Host');
    const siteId = await createSite(host);
    const issued = await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, {});
    for (let i = 0; i < CODE_MAX_FAILURES; i++) expect(codeOf(await register(wrongSecret(issued.code)).catch((e: unknown) => e))).toBe('unauthorized');
    const right = await register(issued.code).catch((e: unknown) => e);
    expect(codeOf(right)).toBe('unauthorized');
    expect((right as AppError).message).toMatch(/too many wrong attempts/);
    const [row] = await db().select().from(agents).where(eq(agents.id, issued.agent.id)).all();
    expect(row).toMatchObject({ tokenHash: null, codeFailures: CODE_MAX_FAILURES });
  });

  it('a platform-wide limit on failed attempts stops a guesser with endless addresses', { timeout: 60_000 }, async () => {
    // A fresh platform window: the other tests in this file failed attempts too.
    await db().delete(rateLimits).where(eq(rateLimits.key, 'agent-register:failed:platform'));
    const host = await createHost('Platform Limit Host');
    const siteId = await createSite(host);
    const issued = await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, {});
    const results: string[] = [];
    for (let i = 0; i < REGISTER_PLATFORM_FAILURES.limit + 1; i++) {
      const guess = Array.from({ length: CODE_LENGTH }, (_, j) => CODE_ALPHABET[(i * 7 + j * 3) % CODE_ALPHABET.length]).join('');
      results.push(codeOf(await register(guess).catch((e: unknown) => e)));
    }
    expect(results.slice(0, -1).every((code) => code === 'unauthorized')).toBe(true);
    expect(results.at(-1)).toBe('rate_limited');
    // While the platform window is full, even the right code waits (it is not spent).
    expect(codeOf(await register(issued.code).catch((e: unknown) => e))).toBe('rate_limited');
  });
});
