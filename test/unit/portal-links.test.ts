import { describe, expect, it } from 'vitest';
import { portalBaseUrl, portalOrigin } from '../../src/portal/links';

const host = { customDomain: null, hostSlug: 'texas', mainSlug: 'texas-mining-llc' };

describe('portal links (built one way)', () => {
  it('use the verified custom domain with the platform’s scheme and port, else /host/<slug>', () => {
    expect(portalBaseUrl(host, 'https://app.hashyard.example/admin/customers')).toBe('https://app.hashyard.example/host/texas');
    expect(portalBaseUrl({ ...host, hostSlug: null }, 'http://localhost:61234')).toBe('http://localhost:61234/host/texas-mining-llc');
    expect(portalBaseUrl({ ...host, customDomain: 'portal.texasmine.localhost' }, 'http://localhost:61234')).toBe('http://portal.texasmine.localhost:61234');
    expect(portalOrigin('portal.texasmine.example', 'https://app.hashyard.example')).toBe('https://portal.texasmine.example');
  });
});
