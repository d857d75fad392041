import { createMessageBatch, env, SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agents/service';
import { emailOutbox, hosts } from '../../src/db/schema';
import { handleEmailQueue } from '../../src/email/consumer';
import { outboxInsert } from '../../src/email/outbox';
import type { Transport } from '../../src/email/types';
import type { Bindings, EmailQueueMessage } from '../../src/env';
import { staffActor } from '../../src/hosts/service';
import { deleteClosedHosts } from '../../src/team/close';
import { portalCustomer } from '../helpers/alerts';
import { addMember, api, createApiKeyFor, createHost, createMiner, createSite, createTestCustomer, db, getPage, postForm, sessionCookieFrom, type TestHost } from '../helpers/fixtures';
import { addActiveDomain, latestEmail, tokenOf } from '../helpers/portal';
import { batchOf, nextMac, postTelemetry, registeredAgent, report } from '../helpers/telemetry';

const hostRow = (host: TestHost) => db().select().from(hosts).where(eq(hosts.id, host.hostId)).get();
const HOST_NAME = 'Closing Hosting';

/** The owner closes the host through the page, as they would. */
async function close(host: TestHost, name = HOST_NAME) {
  const res = await postForm('/admin/settings/export/close', { confirmation: name, password: host.owner.password }, { cookie: host.owner.cookie });
  expect(res.status).toBe(303);
  expect(res.headers.get('Location')).toBe('/login?closed=1');
  return res;
}

describe('closing the host: every door shuts at once', () => {
  it('staff sessions: the owner and every member are signed out', async () => {
    const host = await createHost(HOST_NAME);
    const admin = await addMember(host, 'admin');
    expect((await getPage('/admin/dashboard', { cookie: admin.cookie })).status).toBe(200);
    await close(host);
    for (const cookie of [host.owner.cookie, admin.cookie]) {
      const res = await getPage('/admin/dashboard', { cookie });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toContain('/login');
    }
    const row = await hostRow(host);
    expect(row!.closedAt).not.toBeNull();
    expect(row!.deleteAfter! - row!.closedAt!).toBe(30 * 86_400_000);
  });

  it('staff sign-in: the right password no longer opens the host', async () => {
    const host = await createHost(HOST_NAME);
    await close(host);
    const res = await postForm('/login', { email: host.owner.email, password: host.owner.password }, { headers: { 'CF-Connecting-IP': `close-${crypto.randomUUID()}` } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('not a member of any open host');
    expect(res.headers.get('Set-Cookie') ?? '').not.toContain('hy_staff=');
  });

  it('the portal by slug: pages, sign-in and signed-in sessions answer 404', async () => {
    const host = await createHost(HOST_NAME);
    const portal = await portalCustomer(host, 'Portal Customer');
    expect((await getPage(portal.base, { cookie: portal.cookie })).status).toBe(200);
    await close(host);
    expect((await getPage(portal.base, { cookie: portal.cookie })).status).toBe(404);
    expect((await getPage(`${portal.base}/auth`)).status).toBe(404);
    expect((await postForm(`${portal.base}/auth`, { email: portal.email, password: 'anything at all' })).status).toBe(404);
    // The main slug, the fallback address, is shut too.
    expect((await getPage(`/host/${host.slug}/auth`)).status).toBe(404);
  });

  it('the portal by custom domain answers 404', async () => {
    const host = await createHost(HOST_NAME);
    const hostname = `portal-${crypto.randomUUID().slice(0, 8)}.example`;
    await addActiveDomain(host, hostname);
    expect((await SELF.fetch(`https://${hostname}/auth`, { redirect: 'manual' })).status).toBe(200);
    await close(host);
    expect((await SELF.fetch(`https://${hostname}/auth`, { redirect: 'manual' })).status).toBe(404);
    expect((await SELF.fetch(`https://${hostname}/`, { redirect: 'manual' })).status).toBe(404);
  });

  it('public quote links answer 404', async () => {
    const host = await createHost(HOST_NAME);
    await portalCustomer(host, 'Slug Maker'); // gives the host its portal slug
    const slug = (await hostRow(host))!.hostSlug!;
    const email = `prospect-${crypto.randomUUID().slice(0, 8)}@prospect.example`;
    const created = await postForm(
      '/admin/quotes',
      {
        prospect_name: 'Dana',
        prospect_email: email,
        kind: 'hosted',
        pricing: 'per_kwh',
        currency: 'USD',
        rate: '0.065',
        term_months: '12',
        valid_until: new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10),
        line1_description: 'Antminer S21',
        line1_units: '10',
        line1_ths: '200',
        line1_power_w: '3500',
      },
      { cookie: host.owner.cookie },
    );
    expect(created.status).toBe(303);
    const quoteId = created.headers.get('Location')!.match(/quotes\/([0-9a-f-]{36})/)![1]!;
    expect((await postForm(`/admin/quotes/${quoteId}/send`, {}, { cookie: host.owner.cookie })).status).toBe(303);
    const token = tokenOf((await latestEmail(email, 'quote')).data.quoteUrl!);
    expect((await getPage(`/host/${slug}/quote/${token}`)).status).toBe(200);
    await close(host);
    expect((await getPage(`/host/${slug}/quote/${token}`)).status).toBe(404);
    expect((await postForm(`/host/${slug}/quote/${token}/accept`, { name: 'Dana' })).status).toBe(404);
  });

  it('agents: a registered token is refused, and a fresh code cannot register', async () => {
    const host = await createHost(HOST_NAME);
    const site = await createSite(host, 'Yard');
    const { token } = await registeredAgent(host, site);
    const issued = await createAgent(db(), host.hostId, staffActor(host.owner.session), { role: 'owner' }, site, { name: 'Spare' });
    expect((await postTelemetry(token, batchOf([report(nextMac())]))).status).toBe(200);
    await close(host);
    expect((await postTelemetry(token, batchOf([report(nextMac())]))).status).toBe(401);
    const config = await SELF.fetch('https://hashyard.test/api/agent/v1/config', { headers: { Authorization: `Bearer ${token}` } });
    expect(config.status).toBe(401);
    const register = await SELF.fetch('https://hashyard.test/api/agent/v1/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': `agent-${crypto.randomUUID()}` },
      body: JSON.stringify({ code: issued.code, hostname: 'rig', version: '0.1.0' }),
    });
    expect(register.status).toBe(401);
  });

  it('JSON API keys are refused', async () => {
    const host = await createHost(HOST_NAME);
    const key = await createApiKeyFor(host);
    expect((await api('/api/v1/customers', { key })).status).toBe(200);
    await close(host);
    const res = await api('/api/v1/customers', { key });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('staff invitations can no longer be accepted', async () => {
    const host = await createHost(HOST_NAME);
    const email = `late-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await postForm('/admin/settings/staff/invites', { email, role: 'staff', site_access: 'all' }, { cookie: host.owner.cookie })).status).toBe(303);
    const url = (await latestEmail(email, 'platform_notice')).data.actionUrl!;
    await close(host);
    const res = await postForm(new URL(url).pathname, { name: 'Late Joiner', password: 'a long enough password' });
    expect(res.status).toBe(409);
    expect(sessionCookieFrom(res)).toBeNull();
  });
});

describe('closing also stops what was already on its way', () => {
  it("emails queued to the host's customers are not sent; platform notices to its staff still are", async () => {
    const host = await createHost(HOST_NAME);
    const toCustomer = outboxInsert(db(), {
      hostId: host.hostId,
      to: 'customer@example.com',
      template: 'invite',
      subject: 'Join the portal',
      payload: { customerName: 'Acme', inviterLabel: 'Ana', acceptUrl: 'https://hashyard.test/host/x/auth/invite/t', expiresAt: '2030-01-01T00:00:00.000Z' },
    });
    const toOwner = outboxInsert(db(), {
      hostId: host.hostId,
      to: host.owner.email,
      template: 'platform_notice',
      subject: 'Your export is ready',
      payload: { greeting: 'Hello,', paragraphs: ['Ready.'], actionLabel: 'Open', actionUrl: 'https://hashyard.test/admin/settings/export' },
    });
    await db().batch([toCustomer.statement, toOwner.statement]);
    await close(host);
    const sent: string[] = [];
    const transport: Transport = { name: 'mailchannels', send: async (email) => void sent.push(email.to) };
    const batch = createMessageBatch<EmailQueueMessage>(
      'hashyard-email',
      [toCustomer.id, toOwner.id].map((outboxId, i) => ({ id: `close-${i}`, timestamp: new Date(), attempts: 1, body: { outboxId } })),
    );
    await handleEmailQueue(batch, env as unknown as Bindings, { transport });
    expect(sent).toEqual([host.owner.email]);
    const refused = await db().select().from(emailOutbox).where(eq(emailOutbox.id, toCustomer.id)).get();
    expect(refused!.status).toBe('failed');
    expect(refused!.lastError).toContain('closed');
  });
});

describe('closing needs the owner, the exact name and the password', () => {
  it('a wrong name or password re-renders with a field error (422) and closes nothing', async () => {
    const host = await createHost(HOST_NAME);
    const wrongName = await postForm('/admin/settings/export/close', { confirmation: 'closing hosting', password: host.owner.password }, { cookie: host.owner.cookie });
    expect(wrongName.status).toBe(422);
    expect(await wrongName.text()).toContain('Type the host’s name exactly');
    const wrongPassword = await postForm('/admin/settings/export/close', { confirmation: HOST_NAME, password: 'not my password' }, { cookie: host.owner.cookie });
    expect(wrongPassword.status).toBe(422);
    expect(await wrongPassword.text()).toContain('That is not your password.');
    expect((await hostRow(host))!.closedAt).toBeNull();
  });

  it('admins and staff cannot close (403), and the page offers the export first', async () => {
    const host = await createHost(HOST_NAME);
    const admin = await addMember(host, 'admin');
    const staff = await addMember(host, 'staff');
    for (const member of [admin, staff]) {
      expect((await postForm('/admin/settings/export/close', { confirmation: HOST_NAME, password: member.password }, { cookie: member.cookie })).status).toBe(403);
    }
    expect((await hostRow(host))!.closedAt).toBeNull();
    const page = await (await getPage('/admin/settings/export', { cookie: host.owner.cookie })).text();
    expect(page.indexOf('Export your data')).toBeLessThan(page.indexOf('Close this host’s account'));
    expect(page).toContain('Export your data first.');
  });

  it('refuses a cross-site post (CSRF)', async () => {
    const host = await createHost(HOST_NAME);
    for (const origin of [null, 'https://evil.example']) {
      const res = await postForm('/admin/settings/export/close', { confirmation: HOST_NAME, password: host.owner.password }, { cookie: host.owner.cookie, origin });
      expect(res.status).toBe(403);
    }
    expect((await hostRow(host))!.closedAt).toBeNull();
  });

  it('a host name with markup is shown as text on the page and in the confirmation error', async () => {
    const nasty = '<img src=x onerror=alert(1)> & "Co"';
    const host = await createHost(nasty);
    const page = await (await getPage('/admin/settings/export', { cookie: host.owner.cookie })).text();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const wrong = await postForm('/admin/settings/export/close', { confirmation: 'nope', password: host.owner.password }, { cookie: host.owner.cookie });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).not.toContain('<img src=x');
    // Typed exactly, markup and all, it closes.
    await close(host, nasty);
  });

  it("another host's owner closes only their own host", async () => {
    const a = await createHost(HOST_NAME);
    const b = await createHost('Other Hosting');
    // B's owner typing A's name is a wrong confirmation for B, and A is untouched.
    expect((await postForm('/admin/settings/export/close', { confirmation: HOST_NAME, password: b.owner.password }, { cookie: b.owner.cookie })).status).toBe(422);
    expect((await hostRow(a))!.closedAt).toBeNull();
    expect((await hostRow(b))!.closedAt).toBeNull();
  });
});

describe('after the grace period', () => {
  it('the cron deletes every row and file of the closed host, and nothing of another', async () => {
    const host = await createHost(HOST_NAME);
    const other = await createHost('Staying Hosting');
    for (const h of [host, other]) {
      const site = await createSite(h, 'Yard');
      const customer = await createTestCustomer(h, { name: 'Customer' });
      await createMiner(h, { siteId: site, customerId: customer.id });
      await portalCustomer(h, 'Portal Customer');
      await createApiKeyFor(h);
    }
    await env.FILES.put(`hosts/${host.hostId}/logo/x`, 'logo');
    await env.FILES.put(`hosts/${other.hostId}/logo/x`, 'logo');
    await close(host);

    // Not before its time.
    expect(await deleteClosedHosts(env, Date.now())).toEqual([]);
    expect(await hostRow(host)).toBeDefined();

    // Thirty days later (the other tests' closed hosts are not due yet).
    await db().update(hosts).set({ deleteAfter: Date.now() - 1 }).where(eq(hosts.id, host.hostId));
    expect(await deleteClosedHosts(env, Date.now())).toEqual([host.hostId]);
    expect(await hostRow(host)).toBeUndefined();
    const { results: tables } = await env.DB.prepare(
      `SELECT m.name AS name FROM sqlite_master AS m WHERE m.type = 'table' AND m.name NOT LIKE '_cf_%' AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) AS c WHERE c.name = 'host_id')`,
    ).all<{ name: string }>();
    expect(tables.length).toBeGreaterThan(40);
    let otherRows = 0;
    for (const { name } of tables) {
      const mine = await env.DB.prepare(`SELECT count(*) AS n FROM "${name}" WHERE host_id = ?1`).bind(host.hostId).first<{ n: number }>();
      expect(mine!.n, name).toBe(0);
      otherRows += (await env.DB.prepare(`SELECT count(*) AS n FROM "${name}" WHERE host_id = ?1`).bind(other.hostId).first<{ n: number }>())!.n;
    }
    expect(otherRows).toBeGreaterThan(5);
    expect(await env.FILES.head(`hosts/${host.hostId}/logo/x`)).toBeNull();
    expect(await env.FILES.head(`hosts/${other.hostId}/logo/x`)).not.toBeNull();
    expect((await getPage('/admin/dashboard', { cookie: other.owner.cookie })).status).toBe(200);
  });
});
