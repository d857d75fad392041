import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  authenticateAgent,
  CODE_ALPHABET,
  CODE_TTL_MS,
  createAgent,
  generateRegistrationCode,
  regenerateAgentCode,
  registerAgent,
  revokeAgent,
  touchAgent,
} from '../../src/agents/service';
import { agents } from '../../src/db/schema';
import { staffActor } from '../../src/hosts/service';
import { AppError } from '../../src/lib/errors';
import { sha256Hex } from '../../src/lib/ids';
import { addMember, createHost, db, getPage, postForm, uniqueId, type TestHost } from '../helpers/fixtures';
import { hostActivity, makeSite } from '../helpers/equipment';

const CODE = /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{12}$/;
const agentRow = (id: string) => db().select().from(agents).where(eq(agents.id, id)).get();

async function hostWithSite() {
  const host = await createHost();
  const site = await makeSite(host, { name: 'Agent site' });
  return { host, site };
}

const issue = (host: TestHost, siteId: string, name = 'Box A') => createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, siteId, { name });

/** Each test registers from its own address, so the per-address limit never interferes. */
const register = (code: string, ip = `ip-${uniqueId()}`, extra: Record<string, unknown> = {}) =>
  registerAgent(db(), { code, hostname: 'rig-gateway', version: '1.4.2', ip, ...extra });

async function expectRefused(promise: Promise<unknown>, code: string, message?: RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  if (message) expect((error as AppError).message).toMatch(message);
}

describe('registration codes', () => {
  it('are 12 symbols without 0, O, 1 or I', () => {
    expect(CODE_ALPHABET).toHaveLength(32);
    for (const ch of '0O1I') expect(CODE_ALPHABET).not.toContain(ch);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = generateRegistrationCode();
      expect(code).toMatch(CODE);
      for (const ch of code) seen.add(ch);
    }
    // Every symbol turns up: no symbol is starved by the mapping.
    expect(seen.size).toBe(32);
  });

  it('are stored as SHA-256 only, expire after 30 minutes, and are recorded in activity', async () => {
    const { host, site } = await hostWithSite();
    const issued = await issue(host, site.id);
    expect(issued.code).toMatch(CODE);
    const row = await agentRow(issued.agent.id);
    expect(row).toMatchObject({ hostId: host.hostId, siteId: site.id, name: 'Box A', codeHash: await sha256Hex(issued.code), tokenHash: null, registeredAt: null });
    expect(JSON.stringify(row)).not.toContain(issued.code);
    expect(row!.codeExpiresAt! - row!.createdAt).toBe(CODE_TTL_MS);
    expect(issued.agent.state).toBe('awaiting');
    const [entry] = await hostActivity(host, 'agent.created');
    expect(JSON.parse(entry!.changes!)).toEqual({ site: ['Agent site', 'Agent site'], agent: [null, 'Box A'] });
  });
});

describe('registerAgent and authenticateAgent', () => {
  it('trades a code for a hashed bearer token, once', async () => {
    const { host, site } = await hostWithSite();
    const issued = await issue(host, site.id);
    const registered = await register(` ${issued.code.slice(0, 3).toLowerCase()}-${issued.code.slice(3)} `);
    expect(registered).toEqual({ agent_id: issued.agent.id, site_id: site.id, token: expect.stringMatching(/^hya_[A-Za-z0-9_-]{43}$/) });
    const row = await agentRow(issued.agent.id);
    expect(row).toMatchObject({ codeHash: null, codeExpiresAt: null, tokenHash: await sha256Hex(registered.token), hostname: 'rig-gateway', version: '1.4.2' });
    expect(row!.registeredAt).not.toBeNull();
    expect(row!.lastSeenAt).toBe(row!.registeredAt);
    expect(JSON.stringify(row)).not.toContain(registered.token);
    expect((await hostActivity(host, 'agent.registered')).length).toBe(1);

    expect(await authenticateAgent(db(), `Bearer ${registered.token}`)).toEqual({ agentId: issued.agent.id, hostId: host.hostId, siteId: site.id, liveShards: 1 });

    await expectRefused(register(issued.code), 'unauthorized', /not valid or has already been used/);
    expect((await hostActivity(host, 'agent.registered')).length).toBe(1);
  });

  it('refuses unknown, malformed and expired codes, changing nothing', async () => {
    const { host, site } = await hostWithSite();
    await expectRefused(register('ZZZZZZZZZZZZ'), 'unauthorized');
    await expectRefused(register('K7Q2ZPXM4HA'), 'validation_failed');
    await expectRefused(register('K7Q2ZPXM4HA0'), 'validation_failed'); // 0 is not in the alphabet
    await expectRefused(registerAgent(db(), { code: 'K7Q2ZPXM4HAB', hostname: '', version: '1', ip: `ip-${uniqueId()}` }), 'validation_failed');

    const issued = await issue(host, site.id);
    await db().update(agents).set({ codeExpiresAt: Date.now() - 1 }).where(eq(agents.id, issued.agent.id));
    await expectRefused(register(issued.code), 'unauthorized', /expired/);
    expect(await agentRow(issued.agent.id)).toMatchObject({ tokenHash: null, registeredAt: null });
    expect(await hostActivity(host, 'agent.registered')).toEqual([]);
  });

  it('lets only one of two agents racing with the same code register', async () => {
    const { host, site } = await hostWithSite();
    const issued = await issue(host, site.id);
    const results = await Promise.allSettled([register(issued.code), register(issued.code), register(issued.code)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(2);
    expect((await hostActivity(host, 'agent.registered')).length).toBe(1);
  });

  it('rate-limits registration attempts per client address', async () => {
    const ip = `ip-${uniqueId()}`;
    for (let i = 0; i < 20; i++) await expectRefused(register('ZZZZZZZZZZZZ', ip), 'unauthorized');
    const error = await register('ZZZZZZZZZZZZ', ip).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('rate_limited');
    expect((error as AppError).retryAfterSeconds).toBeGreaterThan(0);
    // Another address is not affected.
    await expectRefused(register('ZZZZZZZZZZZZ'), 'unauthorized');
  });

  it('authenticates only well-formed, known, unrevoked tokens', async () => {
    const { host, site } = await hostWithSite();
    const issued = await issue(host, site.id);
    const { token } = await register(issued.code);
    for (const header of [undefined, null, '', token, `Basic ${token}`, `Bearer ${token}x`, `Bearer hya_${'A'.repeat(43)}`, 'Bearer hy_live_abc']) {
      expect(await authenticateAgent(db(), header), String(header)).toBeNull();
    }
    expect(await authenticateAgent(db(), `bearer   ${token}`)).not.toBeNull();
    await revokeAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site.id, issued.agent.id);
    expect(await authenticateAgent(db(), `Bearer ${token}`)).toBeNull();
    expect((await hostActivity(host, 'agent.revoked')).length).toBe(1);
  });

  it('touchAgent writes last-seen at most once a minute (or when the version changes)', async () => {
    const { host, site } = await hostWithSite();
    const issued = await issue(host, site.id);
    await register(issued.code);
    const t0 = Date.now() + 1000;
    await db().update(agents).set({ lastSeenAt: t0 }).where(eq(agents.id, issued.agent.id));
    await touchAgent(db(), issued.agent.id, '1.4.2', t0 + 30_000);
    expect((await agentRow(issued.agent.id))!.lastSeenAt).toBe(t0);
    await touchAgent(db(), issued.agent.id, '1.5.0', t0 + 31_000);
    expect(await agentRow(issued.agent.id)).toMatchObject({ lastSeenAt: t0 + 31_000, version: '1.5.0' });
    await touchAgent(db(), issued.agent.id, null, t0 + 60_000);
    expect((await agentRow(issued.agent.id))!.lastSeenAt).toBe(t0 + 31_000);
    await touchAgent(db(), issued.agent.id, null, t0 + 91_000);
    expect(await agentRow(issued.agent.id)).toMatchObject({ lastSeenAt: t0 + 91_000, version: '1.5.0' });
  });
});

describe('revoke and regenerate', () => {
  it('regenerates a code for an expired, unregistered agent: the old code stops working', async () => {
    const { host, site } = await hostWithSite();
    const first = await issue(host, site.id);
    await db().update(agents).set({ codeExpiresAt: Date.now() - 1 }).where(eq(agents.id, first.agent.id));
    const again = await regenerateAgentCode(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site.id, first.agent.id);
    expect(again.code).toMatch(CODE);
    expect(again.code).not.toBe(first.code);
    expect(again.agent.state).toBe('awaiting');
    await expectRefused(register(first.code), 'unauthorized');
    expect((await register(again.code)).agent_id).toBe(first.agent.id);
    expect((await hostActivity(host, 'agent.code_regenerated')).length).toBe(1);
  });

  it('regenerating a revoked agent clears its token; an active registered agent must be revoked first', async () => {
    const { host, site } = await hostWithSite();
    const issued = await issue(host, site.id);
    const { token } = await register(issued.code);
    await expectRefused(regenerateAgentCode(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site.id, issued.agent.id), 'conflict');
    expect(await authenticateAgent(db(), `Bearer ${token}`)).not.toBeNull();

    await revokeAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site.id, issued.agent.id);
    const fresh = await regenerateAgentCode(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site.id, issued.agent.id);
    expect(await agentRow(issued.agent.id)).toMatchObject({ tokenHash: null, registeredAt: null, revokedAt: null, codeHash: await sha256Hex(fresh.code) });
    expect(await authenticateAgent(db(), `Bearer ${token}`)).toBeNull();
    const second = await register(fresh.code);
    expect(second.token).not.toBe(token);
    expect(await authenticateAgent(db(), `Bearer ${second.token}`)).toMatchObject({ agentId: issued.agent.id });
  });

  it('revoking an agent that never registered voids its code', async () => {
    const { host, site } = await hostWithSite();
    const issued = await issue(host, site.id);
    await revokeAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site.id, issued.agent.id);
    await expectRefused(register(issued.code), 'unauthorized');
  });

  it('is for owners and admins only', async () => {
    const { host, site } = await hostWithSite();
    const staff = await addMember(host, 'staff');
    await expectRefused(createAgent(db(), host.hostId, staffActor(staff.session), { role: 'staff' }, site.id, {}), 'forbidden');
    const admin = await addMember(host, 'admin');
    const issued = await createAgent(db(), host.hostId, staffActor(admin.session), { role: 'admin' }, site.id, {});
    expect(issued.agent.name).toMatch(/^Agent \d{4}-\d{2}-\d{2}$/);
    await expectRefused(revokeAgent(db(), host.hostId, staffActor(staff.session), { role: 'staff' }, site.id, issued.agent.id), 'forbidden');
    await expectRefused(regenerateAgentCode(db(), host.hostId, staffActor(staff.session), { role: 'staff' }, site.id, issued.agent.id), 'forbidden');
  });
});

describe('the site page’s Agents section', () => {
  it('shows a new code once, then lists the agent through its states', async () => {
    const { host, site } = await hostWithSite();
    const res = await postForm(`/admin/sites/${site.id}/agents`, { name: 'Rack box' }, { cookie: host.owner.cookie });
    expect(res.status).toBe(201);
    const page = await res.text();
    const code = /data-testid="agent-code">([A-Z0-9]{12})</.exec(page)?.[1];
    expect(code).toMatch(CODE);
    expect(page).toContain(`--code ${code}`);
    expect(page).toContain('Awaiting registration');
    const [row] = await db().select().from(agents).where(eq(agents.siteId, site.id)).all();
    expect(row!.codeHash).toBe(await sha256Hex(code!));

    // Shown once: the page never shows it again.
    const later = await getPage(`/admin/sites/${site.id}`, { cookie: host.owner.cookie });
    const laterHtml = await later.text();
    expect(laterHtml).not.toContain(code!);
    expect(laterHtml).toContain('Rack box');
    expect(laterHtml).toContain('No agent'); // not registered yet

    await db().update(agents).set({ codeExpiresAt: Date.now() - 1 }).where(eq(agents.id, row!.id));
    expect(await (await getPage(`/admin/sites/${site.id}`, { cookie: host.owner.cookie })).text()).toContain('Code expired');

    const regen = await postForm(`/admin/sites/${site.id}/agents/${row!.id}/regenerate`, {}, { cookie: host.owner.cookie });
    expect(regen.status).toBe(200);
    const newCode = /data-testid="agent-code">([A-Z0-9]{12})</.exec(await regen.text())?.[1];
    expect(newCode).toMatch(CODE);
    await register(newCode!);
    const registered = await (await getPage(`/admin/sites/${site.id}`, { cookie: host.owner.cookie })).text();
    expect(registered).toContain('Registered');
    expect(registered).toContain('rig-gateway');
    expect(registered).toContain('1.4.2');
    expect(registered).toContain('Agent online');

    const revoke = await postForm(`/admin/sites/${site.id}/agents/${row!.id}/revoke`, {}, { cookie: host.owner.cookie });
    expect(revoke.status).toBe(303);
    const revoked = await (await getPage(`/admin/sites/${site.id}`, { cookie: host.owner.cookie })).text();
    expect(revoked).toContain('Revoked');
    expect(revoked).toContain('No agent');
  });

  it('hides the controls from staff and refuses their posts', async () => {
    const { host, site } = await hostWithSite();
    const staff = await addMember(host, 'staff');
    const page = await (await getPage(`/admin/sites/${site.id}`, { cookie: staff.cookie })).text();
    expect(page).not.toContain(`action="/admin/sites/${site.id}/agents"`);
    expect(page).toContain('Owners and admins add and revoke agents.');
    const res = await postForm(`/admin/sites/${site.id}/agents`, { name: 'Sneaky' }, { cookie: staff.cookie });
    expect(res.status).toBe(403);
    expect(await db().select().from(agents).where(eq(agents.siteId, site.id)).all()).toEqual([]);
  });
});
