import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, groupKey, hotp, matchingStep, otpauthUri, totp, totpStep } from '../../src/security/totp';
import { qrSvg } from '../../src/security/qr';

const ascii = (text: string) => new TextEncoder().encode(text);
// RFC 6238 appendix B: the seed is the ASCII digits repeated to the hash's length.
const SEED_SHA1 = ascii('12345678901234567890');
const SEED_SHA256 = ascii('12345678901234567890123456789012');
const SEED_SHA512 = ascii('1234567890123456789012345678901234567890123456789012345678901234');

const VECTORS: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('matches the RFC vectors at T=%i for SHA-1, SHA-256 and SHA-512', async (seconds, sha1, sha256, sha512) => {
    expect(await totp(SEED_SHA1, seconds * 1000, { digits: 8, algorithm: 'SHA-1' })).toBe(sha1);
    expect(await totp(SEED_SHA256, seconds * 1000, { digits: 8, algorithm: 'SHA-256' })).toBe(sha256);
    expect(await totp(SEED_SHA512, seconds * 1000, { digits: 8, algorithm: 'SHA-512' })).toBe(sha512);
  });

  it('matches the RFC 4226 HOTP vectors (6 digits, counters 0-9)', async () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    for (const [counter, code] of expected.entries()) expect(await hotp(SEED_SHA1, counter)).toBe(code);
  });

  it('accepts the previous, current and next step only, and says which step matched', async () => {
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) {
      const code = await hotp(SEED_SHA1, step + offset);
      expect(await matchingStep(SEED_SHA1, code, now)).toBe(step + offset);
    }
    for (const offset of [-2, 2]) {
      const code = await hotp(SEED_SHA1, step + offset);
      // A different step's code could collide by chance (1 in a million); these do not.
      expect(await matchingStep(SEED_SHA1, code, now)).toBeNull();
    }
  });

  it('refuses anything but six digits', async () => {
    const now = Date.now();
    const code = await totp(SEED_SHA1, now);
    expect(await matchingStep(SEED_SHA1, ` ${code}`, now)).toBeNull();
    expect(await matchingStep(SEED_SHA1, code.slice(0, 5), now)).toBeNull();
    expect(await matchingStep(SEED_SHA1, 'abcdef', now)).toBeNull();
  });
});

describe('base32 (RFC 4648)', () => {
  it('encodes and decodes the RFC test strings (without padding)', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of cases) {
      expect(base32Encode(ascii(plain))).toBe(encoded);
      expect(new TextDecoder().decode(base32Decode(encoded)!)).toBe(plain);
    }
  });

  it('reads keys typed by people: lower case, spaces, padding; refuses other characters', () => {
    const secret = crypto.getRandomValues(new Uint8Array(20));
    const key = base32Encode(secret);
    expect(key).toHaveLength(32);
    expect(base32Decode(groupKey(key).toLowerCase())).toEqual(secret);
    expect(base32Decode('MZXW6===')).toEqual(ascii('foo'));
    expect(base32Decode('MZXW1')).toBeNull();
  });
});

describe('enrolment artefacts', () => {
  it('builds the otpauth URI with the issuer and account, escaped', () => {
    const uri = otpauthUri('Acme & Co', 'a@b.example', 'JBSWY3DPEHPK3PXP');
    expect(uri.startsWith('otpauth://totp/Acme%20%26%20Co%3Aa%40b.example?')).toBe(true);
    const params = new URL(uri).searchParams;
    expect(params.get('secret')).toBe('JBSWY3DPEHPK3PXP');
    expect(params.get('issuer')).toBe('Acme & Co');
    expect(params.get('period')).toBe('30');
  });

  it('draws a QR code as an SVG of square modules with a quiet zone, escaping its label', () => {
    const svg = qrSvg('otpauth://totp/X:a?secret=JBSWY3DPEHPK3PXP', 'QR <code> "x"');
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 (\d+) \1"/);
    const size = Number(/viewBox="0 0 (\d+)/.exec(svg)![1]);
    // Version 3 or 4 at ECC M for this length (29 or 33 modules) plus 4 quiet modules each side.
    expect([37, 41]).toContain(size);
    expect(svg).toContain('aria-label="QR &#60;code&#62; &#34;x&#34;"');
    expect(svg).not.toContain('style=');
    // The finder pattern's top-left corner module sits just inside the quiet zone.
    expect(svg).toContain('M4,4h1v1h-1z');
  });
});
