/**
 * RFC 6238 TOTP on WebCrypto HMAC (RFC 4226 HOTP with a time counter) and RFC 4648 base32 for the
 * manual key. SHA-1, 6 digits and 30-second steps are what every authenticator app supports;
 * SHA-256/512 and 8 digits exist here only so the RFC's own test vectors can be checked.
 * @see https://www.rfc-editor.org/rfc/rfc6238
 */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Codes of the step before and after the current one are accepted too (clock drift, typing time). */
export const TOTP_WINDOW_STEPS = 1;
/** 160 bits, the HMAC-SHA1 block the RFC recommends as the minimum key length. */
export const TOTP_SECRET_BYTES = 20;

export type TotpAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-512';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Case-insensitive; spaces, hyphens and `=` padding are ignored. Null for any other character. */
export function base32Decode(text: string): Uint8Array | null {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = BASE32_ALPHABET.indexOf(char);
    if (index < 0) return null;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** The RFC 6238 time step of a moment. */
export const totpStep = (timeMs: number, stepSeconds = TOTP_STEP_SECONDS): number => Math.floor(timeMs / 1000 / stepSeconds);

/** RFC 4226 HOTP: HMAC of the 8-byte big-endian counter, dynamic truncation, `digits` decimal digits. */
export async function hotp(secret: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm: TotpAlgorithm = 'SHA-1'): Promise<string> {
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: algorithm }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function totp(secret: Uint8Array, timeMs: number, options: { digits?: number; algorithm?: TotpAlgorithm } = {}): Promise<string> {
  return hotp(secret, totpStep(timeMs), options.digits ?? TOTP_DIGITS, options.algorithm ?? 'SHA-1');
}

/** Compares without an early exit, so the time taken says nothing about how much of a code was right. */
function sameCode(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The step (now ± TOTP_WINDOW_STEPS) whose code is `code`, or null. Replay is the caller's check. */
export async function matchingStep(secret: Uint8Array, code: string, nowMs: number): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  const current = totpStep(nowMs);
  let found: number | null = null;
  // Every candidate is computed, match or not, for the same reason as sameCode.
  for (let step = current - TOTP_WINDOW_STEPS; step <= current + TOTP_WINDOW_STEPS; step++) {
    if (sameCode(await hotp(secret, step), code) && found === null) found = step;
  }
  return found;
}

/** The otpauth:// URI authenticator apps read from the QR code. */
export function otpauthUri(issuer: string, accountName: string, secretBase32: string): string {
  const label = encodeURIComponent(`${issuer}:${accountName}`);
  const params = new URLSearchParams({ secret: secretBase32, issuer, algorithm: 'SHA1', digits: String(TOTP_DIGITS), period: String(TOTP_STEP_SECONDS) });
  return `otpauth://totp/${label}?${params.toString()}`;
}

/** The manual key in groups of four, as people copy it into an app. */
export const groupKey = (secretBase32: string): string => secretBase32.replace(/(.{4})(?=.)/g, '$1 ');
