import { encode } from 'uqr';
import { describe, expect, it } from 'vitest';
import { qrSvg } from '../../src/security/qr';
import { qrModules } from '../../src/security/qr-encode';
import { otpauthUri } from '../../src/security/totp';

/** uqr 0.1.3 (pinned, a devDependency now), which drew the codes before: level M, no boost, no border. */
const reference = (text: string) => encode(text, { ecc: 'M', border: 0 }).data;

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe('qrModules', () => {
  it('draws, module for module, what uqr drew for two-factor URIs of every length we issue', () => {
    const short = qrModules('otpauth://totp/A:a?secret=JBSWY3DP');
    expect(short).toEqual(reference('otpauth://totp/A:a?secret=JBSWY3DP'));
    const hosts = ['A', 'Hashyard (Northern Mining Co.)', `Hashyard (${'Very Long Hosting Provider Name '.repeat(4)})`, 'Hôte Minier Été — Ørsted & Søn'];
    const emails = ['a@b.co', 'firstname.lastname+security@subdomain.example-hosting.com', `${'x'.repeat(120)}@example.com`];
    const versions = new Set<number>([(short.length - 17) / 4]);
    for (const host of hosts) {
      for (const email of emails) {
        const uri = otpauthUri(host, email, SECRET);
        const mine = qrModules(uri);
        expect(mine, uri).toEqual(reference(uri));
        versions.add((mine.length - 17) / 4);
      }
    }
    // The cases reach past version 7 (version information blocks) and version 10 (16-bit lengths).
    expect(Math.max(...versions)).toBeGreaterThanOrEqual(10);
    expect(Math.min(...versions)).toBeLessThan(7);
  });

  it('matches uqr for every byte-mode length from 1 to 400 characters (versions 1 to 16, all masks)', () => {
    const masks = new Set<string>();
    let seed = 7;
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-._~%?&=/:é';
    for (let length = 1; length <= 400; length += length < 60 ? 1 : 7) {
      for (let variant = 0; variant < 2; variant++) {
        let text = 'o';
        while (text.length < length) text += alphabet[(seed = (seed * 1103515245 + 12345) % 2147483648) % alphabet.length];
        const theirs = encode(text, { ecc: 'M', border: 0 });
        expect(qrModules(text), `length ${length}`).toEqual(theirs.data);
        masks.add(String(theirs.maskPattern));
      }
    }
    expect(masks.size).toBe(8);
  }, 30_000);

  it('refuses a text longer than a version-40 code holds', () => {
    expect(() => qrModules('x'.repeat(2400))).toThrow(RangeError);
  });
});

describe('qrSvg', () => {
  it('draws the modules with a 4-module quiet zone, as before', () => {
    const uri = otpauthUri('Hashyard (Acme)', 'owner@acme.example', SECRET);
    const data = encode(uri, { ecc: 'M', border: 4 });
    let path = '';
    data.data.forEach((row, y) => row.forEach((dark, x) => (path += dark ? `M${x},${y}h1v1h-1z` : '')));
    const svg = qrSvg(uri, 'QR "code"');
    expect(svg).toContain(`viewBox="0 0 ${data.size} ${data.size}"`);
    expect(svg).toContain(`d="${path}"`);
    expect(svg).toContain('aria-label="QR &#34;code&#34;"');
  });
});
