import { env, SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activityLog, hosts } from '../../src/db/schema';
import { getBranding, LOGO_MAX_BYTES } from '../../src/hosts/branding';
import { addMember, createHost, db, getPage, ORIGIN, postForm, type TestHost } from '../helpers/fixtures';
import { gif, jpeg, png, text, webp } from '../helpers/images';
import script from '../../public/js/brand-preview.js?raw';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

interface Upload {
  bytes: Uint8Array;
  name: string;
  type: string;
}

const fields = (overrides: Record<string, string> = {}) => ({ slogan: '', primary_color: '#1f2937', accent_color: '#2563eb', ...overrides });

/** A browser-like multipart post of the branding form (same-origin, as the CSRF check wants). */
function postBranding(cookie: string, values: Record<string, string>, logo?: Upload): Promise<Response> {
  const form = new FormData();
  for (const [key, value] of Object.entries(values)) form.set(key, value);
  if (logo) form.set('logo', new File([logo.bytes], logo.name, { type: logo.type }));
  return SELF.fetch(`${ORIGIN}/admin/settings/branding`, { method: 'POST', headers: { Origin: ORIGIN, Cookie: cookie }, body: form, redirect: 'manual' });
}

const hostRow = async (host: TestHost) => (await db().select().from(hosts).where(eq(hosts.id, host.hostId)).get())!;
const storedKeys = async (host: TestHost) => (await env.FILES.list({ prefix: `hosts/${host.hostId}/` })).objects.map((o) => o.key);
const brandingEntries = (host: TestHost) =>
  db()
    .select()
    .from(activityLog)
    .where(and(eq(activityLog.hostId, host.hostId), eq(activityLog.action, 'host.branding_updated')))
    .all();

async function bytesOf(key: string): Promise<{ bytes: Uint8Array; contentType: string | undefined } | null> {
  const object = await env.FILES.get(key);
  if (!object) return null;
  return { bytes: new Uint8Array(await object.arrayBuffer()), contentType: object.httpMetadata?.contentType };
}

// ---------------------------------------------------------------------------------------------

describe('branding page', () => {
  it('shows the owner the form, the live preview and its script, under a strict CSP', async () => {
    const host = await createHost('Preview Host');
    const res = await getPage('/admin/settings/branding', { cookie: host.owner.cookie });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<form id="branding-form" method="post" action="/admin/settings/branding" enctype="multipart/form-data"');
    expect(page).toContain('name="logo" type="file" accept="image/png,image/jpeg,image/webp"');
    expect(page).toMatch(/name="primary_color" type="color" value="#1f2937"/);
    expect(page).toMatch(/name="accent_color" type="color" value="#2563eb"/);
    expect(page).toContain('id="brand-preview"');
    expect(page).toContain('Preview Host');
    expect(page).toContain('<script src="/js/brand-preview.js" defer=""></script>');
    // Tabs
    expect(page).toContain('<a href="/admin/settings/branding" aria-current="page">Branding</a>');
    expect(page).toContain('<a href="/admin/settings/domains">Domains</a>');
    // No inline script or style anywhere: the CSP would block them.
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/\sstyle=/);

    const csp = res.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).toMatch(/img-src 'self' data: blob:(;|$)/);
  });

  it('ships a preview script that drives the preview through the CSSOM and object URLs', () => {
    // public/ is served by Workers Assets before the Worker runs (not by SELF here): read the file.
    expect(script).toContain("style.setProperty('--brand-primary'");
    expect(script).toContain("style.setProperty('--brand-accent'");
    expect(script).toContain('URL.createObjectURL');
    expect(script).toContain('URL.revokeObjectURL');
    expect(script).not.toContain('innerHTML');
    expect(script).not.toMatch(/setAttribute\(\s*'style'/);
  });

  it('shows staff a read-only page and refuses their changes (403), storing nothing', async () => {
    const host = await createHost();
    const staff = await addMember(host, 'staff');
    const page = await (await getPage('/admin/settings/branding', { cookie: staff.cookie })).text();
    expect(page).toContain('Only owners and admins can change the branding.');
    expect(page).toMatch(/<fieldset disabled/);
    expect(page).not.toContain('/admin/settings/branding/logo/remove');

    const before = await hostRow(host);
    const res = await postBranding(staff.cookie, fields({ slogan: 'Staff slogan' }), { bytes: png(256, 256), name: 'logo.png', type: 'image/png' });
    expect(res.status).toBe(403);
    expect(await hostRow(host)).toEqual(before);
    expect(await storedKeys(host)).toEqual([]);
    expect((await postForm('/admin/settings/branding/logo/remove', {}, { cookie: staff.cookie })).status).toBe(403);
  });

  it('lets an admin edit the branding', async () => {
    const host = await createHost();
    const admin = await addMember(host, 'admin');
    const res = await postBranding(admin.cookie, fields({ slogan: 'Admin made this' }));
    expect(res.status).toBe(303);
    expect((await hostRow(host)).brandSlogan).toBe('Admin made this');
  });
});

describe('slogan and colours', () => {
  it('saves them, logs the change and shows them back', async () => {
    const host = await createHost();
    const res = await postBranding(host.owner.cookie, fields({ slogan: '  Hashing since 2017  ', primary_color: '#AA3300', accent_color: '#00ff88' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/settings/branding?saved=1');
    expect(await hostRow(host)).toMatchObject({ brandSlogan: 'Hashing since 2017', brandPrimaryColor: '#aa3300', brandAccentColor: '#00ff88' });

    const entries = await brandingEntries(host);
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!.changes!)).toEqual({
      slogan: [null, 'Hashing since 2017'],
      primaryColor: [null, '#aa3300'],
      accentColor: [null, '#00ff88'],
    });

    const page = await (await getPage('/admin/settings/branding?saved=1', { cookie: host.owner.cookie })).text();
    expect(page).toContain('Branding saved.');
    expect(page).toContain('value="Hashing since 2017"');
    expect(page).toMatch(/name="primary_color" type="color" value="#aa3300"/);

    expect(await getBranding(db(), host.hostId)).toMatchObject({
      name: 'Test Host',
      slogan: 'Hashing since 2017',
      primaryColor: '#aa3300',
      accentColor: '#00ff88',
      logoKey: null,
    });
  });

  it('keeps default colours as defaults (null) and logs nothing when nothing changed', async () => {
    const host = await createHost();
    expect((await postBranding(host.owner.cookie, fields())).status).toBe(303);
    expect(await hostRow(host)).toMatchObject({ brandSlogan: null, brandPrimaryColor: null, brandAccentColor: null });
    expect(await brandingEntries(host)).toHaveLength(0);
  });

  it.each([
    ['slogan', { slogan: 'x'.repeat(151) }, 'Use at most 150 characters.'],
    ['primary_color', { primary_color: 'red' }, 'Choose the primary colour as #rrggbb'],
    ['accent_color', { accent_color: '#12345' }, 'Choose the accent colour as #rrggbb'],
    ['accent_color', { accent_color: '#1234567' }, 'Choose the accent colour as #rrggbb'],
  ])('refuses a bad %s with 422 and changes nothing', async (field, overrides, message) => {
    const host = await createHost();
    const before = await hostRow(host);
    const res = await postBranding(host.owner.cookie, fields(overrides), { bytes: png(256, 256), name: 'logo.png', type: 'image/png' });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain(`id="${field}-error"`);
    expect(page).toContain(message);
    expect(await hostRow(host)).toEqual(before);
    expect(await storedKeys(host)).toEqual([]);
  });

  it('accepts exactly 150 characters', async () => {
    const host = await createHost();
    expect((await postBranding(host.owner.cookie, fields({ slogan: 'y'.repeat(150) }))).status).toBe(303);
    expect((await hostRow(host)).brandSlogan).toBe('y'.repeat(150));
  });

  it('shows an HTML-looking slogan as text, in the field and the preview', async () => {
    const host = await createHost();
    const slogan = '<script>alert(1)</script><img src=x onerror=alert(2)>"';
    expect((await postBranding(host.owner.cookie, fields({ slogan }))).status).toBe(303);
    const page = await (await getPage('/admin/settings/branding', { cookie: host.owner.cookie })).text();
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;"');

    // And when re-rendered after a refusal.
    const refused = await postBranding(host.owner.cookie, fields({ slogan: `${slogan}${'z'.repeat(150)}` }));
    expect(refused.status).toBe(422);
    expect(await refused.text()).not.toContain('<script>alert(1)');
  });
});

describe('logo upload', () => {
  it.each([
    ['PNG', png(256, 256), 'logo.png', 'image/png', 'image/png'],
    ['JPEG', jpeg(400, 400), 'logo.jpg', 'image/jpeg', 'image/jpeg'],
    ['progressive JPEG', jpeg(300, 300, { progressive: true }), 'logo.jpeg', 'image/jpeg', 'image/jpeg'],
    ['WebP (VP8)', webp(512, 512, 'VP8'), 'logo.webp', 'image/webp', 'image/webp'],
    ['WebP (VP8L)', webp(200, 200, 'VP8L'), 'logo.webp', 'image/webp', 'image/webp'],
    ['WebP (VP8X)', webp(1024, 1024, 'VP8X'), 'logo.webp', 'image/webp', 'image/webp'],
    ['PNG at the largest size', png(4096, 4096), 'big.png', 'image/png', 'image/png'],
    // The bytes decide, never the name or the type the browser claims.
    ['JPEG named .png', jpeg(256, 256), 'logo.png', 'image/png', 'image/jpeg'],
    ['PNG sent as octet-stream', png(256, 256), 'logo', 'application/octet-stream', 'image/png'],
  ])('stores a square %s in R2 with its real content type', async (_label, bytes, name, type, storedType) => {
    const host = await createHost();
    const res = await postBranding(host.owner.cookie, fields(), { bytes, name, type });
    expect(res.status).toBe(303);

    const key = (await hostRow(host)).brandLogoKey!;
    expect(key).toMatch(new RegExp(`^hosts/${host.hostId}/logo/${UUID}$`));
    expect(await storedKeys(host)).toEqual([key]);
    const stored = await bytesOf(key);
    expect(stored!.contentType).toBe(storedType);
    expect(stored!.bytes).toEqual(bytes);

    const entries = await brandingEntries(host);
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!.changes!)).toHaveProperty('logo');

    // The page shows it (through the admin route) and offers to remove it.
    const page = await (await getPage('/admin/settings/branding', { cookie: host.owner.cookie })).text();
    const logoUrl = `/admin/settings/branding/logo?v=${key.split('/').pop()}`;
    expect(page).toContain(`src="${logoUrl}"`);
    expect(page).toContain('action="/admin/settings/branding/logo/remove"');
    const served = await getPage(logoUrl, { cookie: host.owner.cookie });
    expect(served.status).toBe(200);
    expect(served.headers.get('Content-Type')).toBe(storedType);
    expect(served.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(bytes);
  });

  it('replaces the previous logo, deleting its object, and keeps slogan changes in the same save', async () => {
    const host = await createHost();
    expect((await postBranding(host.owner.cookie, fields(), { bytes: png(256, 256), name: 'a.png', type: 'image/png' })).status).toBe(303);
    const first = (await hostRow(host)).brandLogoKey!;

    const second = jpeg(500, 500);
    expect((await postBranding(host.owner.cookie, fields({ slogan: 'New look' }), { bytes: second, name: 'b.jpg', type: 'image/jpeg' })).status).toBe(303);
    const row = await hostRow(host);
    expect(row.brandLogoKey).not.toBe(first);
    expect(row.brandSlogan).toBe('New look');
    expect(await env.FILES.head(first)).toBeNull();
    expect(await storedKeys(host)).toEqual([row.brandLogoKey]);
    expect((await bytesOf(row.brandLogoKey!))!.bytes).toEqual(second);

    // Saving without choosing a file keeps the logo.
    expect((await postBranding(host.owner.cookie, fields({ slogan: 'Same logo' }))).status).toBe(303);
    expect((await hostRow(host)).brandLogoKey).toBe(row.brandLogoKey);
    // An empty file part (what a browser sends when no file was chosen) keeps it too.
    expect((await postBranding(host.owner.cookie, fields(), { bytes: new Uint8Array(), name: '', type: 'application/octet-stream' })).status).toBe(303);
    expect((await hostRow(host)).brandLogoKey).toBe(row.brandLogoKey);
  });

  it('removes the logo: row cleared, object deleted, change logged', async () => {
    const host = await createHost();
    expect((await postBranding(host.owner.cookie, fields(), { bytes: webp(300, 300, 'VP8L'), name: 'l.webp', type: 'image/webp' })).status).toBe(303);
    const key = (await hostRow(host)).brandLogoKey!;

    const res = await postForm('/admin/settings/branding/logo/remove', {}, { cookie: host.owner.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/admin/settings/branding?removed=1');
    expect((await hostRow(host)).brandLogoKey).toBeNull();
    expect(await env.FILES.head(key)).toBeNull();
    expect(await storedKeys(host)).toEqual([]);
    const entries = await brandingEntries(host);
    expect(JSON.parse(entries[entries.length - 1]!.changes!)).toEqual({ logo: ['previous logo', null] });

    const page = await (await getPage('/admin/settings/branding?removed=1', { cookie: host.owner.cookie })).text();
    expect(page).toContain('Logo removed.');
    expect(page).not.toContain('action="/admin/settings/branding/logo/remove"');
    expect((await getPage('/admin/settings/branding/logo', { cookie: host.owner.cookie })).status).toBe(404);
  });

  it.each([
    ['too large', png(512, 512, { padTo: LOGO_MAX_BYTES + 1 }), 'big.png', 'image/png', 'The logo is larger than 2 MB; use an image of at most 2 MB.'],
    ['far too large (refused unread)', png(512, 512, { padTo: 3 * 1024 * 1024 }), 'huge.png', 'image/png', 'The logo is larger than 2 MB; use an image of at most 2 MB.'],
    ['not square', png(300, 200), 'wide.png', 'image/png', 'The logo must be square; this one is 300×200 pixels.'],
    ['not square (JPEG)', jpeg(400, 401), 'tall.jpg', 'image/jpeg', 'The logo must be square; this one is 400×401 pixels.'],
    ['too small', png(150, 150), 'small.png', 'image/png', 'The logo is 150×150 pixels; use at least 200×200.'],
    ['too small (WebP)', webp(199, 199, 'VP8X'), 'small.webp', 'image/webp', 'use at least 200×200'],
    ['too large in pixels (a decompression bomb)', png(20_000, 20_000), 'bomb.png', 'image/png', 'The logo is 20000×20000 pixels; use at most 4096×4096.'],
    ['not an image', text(), 'notes.txt', 'text/plain', 'This file is not a PNG, JPEG or WebP image.'],
    ['wrong magic with a .png name', text('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'logo.png', 'image/png', 'This file is not a PNG, JPEG or WebP image.'],
    ['a GIF named .png', gif(300, 300), 'logo.png', 'image/png', 'This file is not a PNG, JPEG or WebP image.'],
    ['a damaged PNG header', png(300, 300).slice(0, 20), 'cut.png', 'image/png', 'could not be read'],
  ])('refuses a logo that is %s (422), storing nothing and changing nothing', async (_label, bytes, name, type, message) => {
    const host = await createHost();
    // An existing logo must survive a refused replacement.
    expect((await postBranding(host.owner.cookie, fields(), { bytes: png(256, 256), name: 'ok.png', type: 'image/png' })).status).toBe(303);
    const before = await hostRow(host);
    const keysBefore = await storedKeys(host);
    const entriesBefore = (await brandingEntries(host)).length;

    const res = await postBranding(host.owner.cookie, fields({ slogan: 'Kept in the form' }), { bytes, name, type });
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('id="logo-error"');
    expect(page).toContain(message);
    expect(page).toContain('aria-invalid="true"');
    // The typed slogan comes back, except when the body was too big to read at all.
    if (_label.includes('unread')) expect(page).not.toContain('Kept in the form');
    else expect(page).toContain('value="Kept in the form"');

    expect(await hostRow(host)).toEqual(before);
    expect(await storedKeys(host)).toEqual(keysBefore);
    expect(await brandingEntries(host)).toHaveLength(entriesBefore);
  });

  it('refuses a cross-site upload (CSRF) and stores nothing', async () => {
    const host = await createHost();
    const form = new FormData();
    for (const [key, value] of Object.entries(fields())) form.set(key, value);
    form.set('logo', new File([png(256, 256)], 'logo.png', { type: 'image/png' }));
    const res = await SELF.fetch(`${ORIGIN}/admin/settings/branding`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', Cookie: host.owner.cookie },
      body: form,
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(await storedKeys(host)).toEqual([]);
  });

  it('serves a logo only to its own host', async () => {
    const host = await createHost();
    const other = await createHost();
    expect((await postBranding(host.owner.cookie, fields(), { bytes: png(256, 256), name: 'a.png', type: 'image/png' })).status).toBe(303);
    expect((await getPage('/admin/settings/branding/logo', { cookie: host.owner.cookie })).status).toBe(200);
    expect((await getPage('/admin/settings/branding/logo', { cookie: other.owner.cookie })).status).toBe(404);
    expect((await getPage('/admin/settings/branding/logo')).status).toBe(303);
  });
});
