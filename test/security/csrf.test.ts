import { SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys, customDomains, customers, hosts, hostUsers, staffInvites, users } from '../../src/db/schema';
import {
  addMember,
  api,
  createApiKeyFor,
  createHost,
  createTestCustomer,
  db,
  formOf,
  ORIGIN,
  postForm,
  sessionCookieFrom,
  uniqueId,
} from '../helpers/fixtures';

/**
 * One unsafe form action: how to post it, and a check that it had no effect. `prepare` builds
 * fresh data so every attack runs against its own rows.
 */
interface Target {
  name: string;
  prepare: () => Promise<{ path: string; fields: Record<string, string>; cookie?: string; unchanged: () => Promise<void> }>;
}

const TARGETS: Target[] = [
  {
    name: 'sign-up',
    prepare: async () => {
      const slug = `csrf-signup-${uniqueId()}`;
      const email = `csrf-${uniqueId()}@example.com`;
      return {
        path: '/signup',
        fields: { organisation_name: 'CSRF Host', main_slug: slug, owner_name: 'Victim', email, password: 'long enough password' },
        unchanged: async () => {
          expect(await db().select().from(hosts).where(eq(hosts.mainSlug, slug)).get()).toBeUndefined();
          expect(await db().select().from(users).where(eq(users.email, email)).get()).toBeUndefined();
        },
      };
    },
  },
  {
    name: 'sign-in (login CSRF)',
    prepare: async () => {
      const host = await createHost();
      return { path: '/login', fields: { email: host.owner.email, password: host.owner.password }, unchanged: async () => {} };
    },
  },
  {
    name: 'sign-out',
    prepare: async () => {
      const host = await createHost();
      return { path: '/logout', fields: {}, cookie: host.owner.cookie, unchanged: async () => {} };
    },
  },
  {
    name: 'Add Customer',
    prepare: async () => {
      const host = await createHost();
      return {
        path: '/admin/customers',
        fields: formOf({ name: 'Forged Customer', contact_email: 'forged@evil.example', active: true, portal_access: true }),
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect(await db().select().from(customers).where(eq(customers.hostId, host.hostId)).all()).toEqual([]);
        },
      };
    },
  },
  {
    name: 'edit customer',
    prepare: async () => {
      const host = await createHost();
      const c = await createTestCustomer(host, { name: 'Victim Customer' });
      const before = await db().select().from(customers).where(eq(customers.id, c.id)).get();
      return {
        path: `/admin/customers/${c.id}`,
        fields: formOf({ name: 'Forged Name', contact_email: 'attacker@evil.example', billing_email: 'attacker@evil.example', active: true }),
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect(await db().select().from(customers).where(eq(customers.id, c.id)).get()).toEqual(before);
        },
      };
    },
  },
  {
    name: 'general settings',
    prepare: async () => {
      const host = await createHost('Victim Host');
      const before = await db().select().from(hosts).where(eq(hosts.id, host.hostId)).get();
      return {
        path: '/admin/settings',
        fields: { name: 'Pwned', main_slug: `pwned-${uniqueId()}`, default_currency: 'EUR', timezone: 'UTC' },
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect(await db().select().from(hosts).where(eq(hosts.id, host.hostId)).get()).toEqual(before);
        },
      };
    },
  },
  {
    name: 'API key create',
    prepare: async () => {
      const host = await createHost();
      return {
        path: '/admin/settings/api-keys',
        fields: { name: 'Forged key' },
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect(await db().select().from(apiKeys).where(eq(apiKeys.hostId, host.hostId)).all()).toEqual([]);
        },
      };
    },
  },
  {
    name: 'API key revoke',
    prepare: async () => {
      const host = await createHost();
      const secret = await createApiKeyFor(host);
      const [key] = await db().select().from(apiKeys).where(eq(apiKeys.hostId, host.hostId)).all();
      return {
        path: `/admin/settings/api-keys/${key!.id}/revoke`,
        fields: {},
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect((await db().select().from(apiKeys).where(eq(apiKeys.id, key!.id)).get())!.revokedAt).toBeNull();
          expect((await api('/api/v1/customers', { key: secret })).status).toBe(200);
        },
      };
    },
  },
  {
    name: 'invite staff',
    prepare: async () => {
      const host = await createHost();
      const email = `forged-staff-${uniqueId()}@example.com`;
      return {
        path: '/admin/settings/staff/invites',
        fields: { email, role: 'admin', site_access: 'all' },
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect(await db().select().from(staffInvites).where(eq(staffInvites.email, email)).get()).toBeUndefined();
        },
      };
    },
  },
  {
    name: 'change staff role',
    prepare: async () => {
      const host = await createHost();
      const staff = await addMember(host, 'staff');
      return {
        path: `/admin/settings/staff/${staff.userId}/role`,
        fields: { role: 'owner' },
        cookie: host.owner.cookie,
        unchanged: async () => {
          const row = await db()
            .select()
            .from(hostUsers)
            .where(and(eq(hostUsers.hostId, host.hostId), eq(hostUsers.userId, staff.userId)))
            .get();
          expect(row!.role).toBe('staff');
        },
      };
    },
  },
  {
    name: 'remove staff',
    prepare: async () => {
      const host = await createHost();
      const staff = await addMember(host, 'staff');
      return {
        path: `/admin/settings/staff/${staff.userId}/remove`,
        fields: {},
        cookie: host.owner.cookie,
        unchanged: async () => {
          const row = await db()
            .select()
            .from(hostUsers)
            .where(and(eq(hostUsers.hostId, host.hostId), eq(hostUsers.userId, staff.userId)))
            .get();
          expect(row).toBeDefined();
        },
      };
    },
  },
  {
    name: 'branding',
    prepare: async () => {
      const host = await createHost();
      const before = await db().select().from(hosts).where(eq(hosts.id, host.hostId)).get();
      return {
        path: '/admin/settings/branding',
        fields: { slogan: 'Forged slogan', primary_color: '#ff0000', accent_color: '#ff0000' },
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect(await db().select().from(hosts).where(eq(hosts.id, host.hostId)).get()).toEqual(before);
        },
      };
    },
  },
  {
    name: 'remove logo',
    prepare: async () => {
      const host = await createHost();
      await db().update(hosts).set({ brandLogoKey: `hosts/${host.hostId}/logo/kept` }).where(eq(hosts.id, host.hostId));
      return {
        path: '/admin/settings/branding/logo/remove',
        fields: {},
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect((await db().select().from(hosts).where(eq(hosts.id, host.hostId)).get())!.brandLogoKey).toBe(`hosts/${host.hostId}/logo/kept`);
        },
      };
    },
  },
  {
    name: 'add custom domain',
    prepare: async () => {
      const host = await createHost();
      return {
        path: '/admin/settings/domains',
        fields: { hostname: `forged.${uniqueId()}.localhost` },
        cookie: host.owner.cookie,
        unchanged: async () => {
          expect(await db().select().from(customDomains).where(eq(customDomains.hostId, host.hostId)).all()).toEqual([]);
        },
      };
    },
  },
  ...(['verify-dev', 'remove'] as const).map(
    (action): Target => ({
      name: `custom domain ${action}`,
      prepare: async () => {
        const host = await createHost();
        const id = crypto.randomUUID();
        const now = Date.now();
        await db().insert(customDomains).values({ id, hostId: host.hostId, hostname: `victim.${uniqueId()}.localhost`, createdAt: now, updatedAt: now });
        const before = await db().select().from(customDomains).where(eq(customDomains.id, id)).get();
        return {
          path: `/admin/settings/domains/${id}/${action}`,
          fields: {},
          cookie: host.owner.cookie,
          unchanged: async () => {
            expect(await db().select().from(customDomains).where(eq(customDomains.id, id)).get()).toEqual(before);
          },
        };
      },
    }),
  ),
];

/** Ways a cross-site page (or a tool pretending to be one) might send the form. */
const ATTACKS: { name: string; origin: string | null; headers?: Record<string, string> }[] = [
  { name: 'Origin https://evil.example', origin: 'https://evil.example' },
  { name: 'Origin https://evil.example with Sec-Fetch-Site cross-site', origin: 'https://evil.example', headers: { 'Sec-Fetch-Site': 'cross-site' } },
  { name: 'no Origin and no Sec-Fetch-Site', origin: null },
  { name: 'Sec-Fetch-Site cross-site without Origin', origin: null, headers: { 'Sec-Fetch-Site': 'cross-site' } },
  { name: 'a sibling subdomain (same-site, not same-origin)', origin: 'https://portal.hashyard.test', headers: { 'Sec-Fetch-Site': 'same-site' } },
  { name: 'Origin null (sandboxed frame)', origin: 'null' },
  { name: 'the platform over plain http', origin: 'http://hashyard.test' },
  { name: 'the platform on another port', origin: 'https://hashyard.test:8443' },
  { name: 'htmx headers from evil.example', origin: 'https://evil.example', headers: { 'HX-Request': 'true' } },
];

function send(path: string, fields: Record<string, string>, cookie: string | undefined, origin: string | null, headers: Record<string, string> = {}) {
  return postForm(path, fields, { cookie, origin, headers: { 'CF-Connecting-IP': `csrf-${uniqueId()}`, ...headers } });
}

describe.each(TARGETS)('$name', (target) => {
  it.each(ATTACKS)('refuses a cross-origin post ($name) with 403 and changes nothing', async (attack) => {
    const { path, fields, cookie, unchanged } = await target.prepare();
    const res = await send(path, fields, cookie, attack.origin, attack.headers);
    expect(res.status).toBe(403);
    expect(res.headers.get('Set-Cookie')).toBeNull();
    expect(res.headers.get('Location')).toBeNull();
    expect(res.headers.get('HX-Redirect')).toBeNull();
    expect(await res.text()).toContain('This form was sent from another site and was refused.');
    await unchanged();
  });
});

describe('other encodings browsers send cross-site without a preflight', () => {
  it('refuses multipart/form-data from another origin', async () => {
    const host = await createHost();
    const body = new FormData();
    body.set('name', 'Multipart Forged');
    body.set('contact_email', 'm@evil.example');
    body.set('active', 'on');
    const res = await SELF.fetch(`${ORIGIN}/admin/customers`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', Cookie: host.owner.cookie },
      body,
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(await db().select().from(customers).where(eq(customers.hostId, host.hostId)).all()).toEqual([]);
  });

  it('refuses text/plain from another origin', async () => {
    const host = await createHost();
    const res = await SELF.fetch(`${ORIGIN}/admin/settings/api-keys`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', Cookie: host.owner.cookie, 'Content-Type': 'text/plain' },
      body: 'name=Forged',
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(await db().select().from(apiKeys).where(eq(apiKeys.hostId, host.hostId)).all()).toEqual([]);
  });

  it('refuses a post with no Content-Type from another origin', async () => {
    const host = await createHost();
    const res = await SELF.fetch(`${ORIGIN}/logout`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', Cookie: host.owner.cookie },
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('Set-Cookie')).toBeNull();
  });
});

describe('how the refusal looks', () => {
  it('renders an htmx refusal as a fragment retargeted to #flash', async () => {
    const host = await createHost();
    const res = await postForm('/admin/customers', { name: 'X' }, { cookie: host.owner.cookie, origin: 'https://evil.example', htmx: true });
    expect(res.status).toBe(403);
    expect(res.headers.get('HX-Retarget')).toBe('#flash');
    const body = await res.text();
    expect(body).not.toContain('<html');
    expect(body).toContain('This form was sent from another site and was refused.');
  });
});

describe('same-origin posts still work (controls)', () => {
  it('accepts Sec-Fetch-Site same-origin without an Origin header', async () => {
    const host = await createHost();
    const res = await postForm('/admin/settings/api-keys', { name: 'Fetch metadata key' }, {
      cookie: host.owner.cookie,
      origin: null,
      headers: { 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(res.status).toBe(201);
    expect(await db().select().from(apiKeys).where(eq(apiKeys.hostId, host.hostId)).all()).toHaveLength(1);
  });

  it('accepts a same-origin sign-in', async () => {
    const host = await createHost();
    const res = await postForm('/login', { email: host.owner.email, password: host.owner.password }, { headers: { 'CF-Connecting-IP': `csrf-${uniqueId()}` } });
    expect(res.status).toBe(303);
    expect(sessionCookieFrom(res)).not.toBeNull();
  });

  it('leaves safe methods alone', async () => {
    const res = await SELF.fetch(`${ORIGIN}/login`, { headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' } });
    expect(res.status).toBe(200);
  });
});
