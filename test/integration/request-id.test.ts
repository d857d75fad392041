import { describe, expect, it } from 'vitest';
import { createHost, createTestCustomer, getPage, postForm } from '../helpers/fixtures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('every response carries X-Request-Id (src/middleware/request-id.ts)', () => {
  it('pages, fragments, redirects, downloads, refusals and errors alike, with its body intact', async () => {
    const host = await createHost('Request Id Host');
    const customer = await createTestCustomer(host, { name: 'Request Id Customer' });
    const responses: [what: string, res: Response, status: number][] = [
      ['a public page', await getPage('/login'), 200],
      ['a signed-in page', await getPage(`/admin/customers/${customer.id}`, { cookie: host.owner.cookie }), 200],
      ['an htmx fragment', await getPage('/admin/customers?q=request', { cookie: host.owner.cookie, htmx: true, headers: { 'HX-Target': 'customer-results' } }), 200],
      ['a CSV download', await getPage('/admin/customers/export.csv', { cookie: host.owner.cookie }), 200],
      ['a redirect to sign in', await getPage('/admin/customers'), 303],
      ['a page that does not exist', await getPage('/no-such-page'), 404],
      ['a form with field errors', await postForm('/admin/customers', { name: '' }, { cookie: host.owner.cookie }), 422],
      ['a cross-origin post', await postForm('/admin/customers', { name: 'x' }, { cookie: host.owner.cookie, origin: 'https://evil.example' }), 403],
    ];
    for (const [what, res, status] of responses) {
      expect(res.status, what).toBe(status);
      expect(res.headers.get('X-Request-Id'), what).toMatch(UUID);
      // The header is added to the finished response, which keeps its other headers and its body.
      expect(res.headers.get('X-Content-Type-Options'), what).toBe('nosniff');
      await res.text();
    }
    const [, page] = responses[1]!;
    expect(page.headers.get('Content-Type')).toContain('text/html');
    const csv = await (await getPage('/admin/customers/export.csv', { cookie: host.owner.cookie })).text();
    expect(csv).toContain('Request Id Customer');
  });

  it("is Cloudflare's ray id when the request has one, and differs between requests otherwise", async () => {
    const withRay = await getPage('/login', { headers: { 'CF-Ray': '8f1e2d3c4b5a6978-AMS' } });
    expect(withRay.headers.get('X-Request-Id')).toBe('8f1e2d3c4b5a6978-AMS');
    const first = (await getPage('/login')).headers.get('X-Request-Id');
    const second = (await getPage('/login')).headers.get('X-Request-Id');
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
  });
});
