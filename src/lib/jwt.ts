/**
 * The HS256 JSON Web Tokens in the Worker's own cookies (staff and portal sessions, the pending
 * second factor, remembered browsers, the sign-in device cookie), on WebCrypto. This replaced
 * jose, which cost 6 KiB gzip of the bundle for the one algorithm used here (bench/README.md,
 * "The Worker bundle"); tokens are the same bytes, and test/unit/jwt.test.ts checks ours against
 * jose both ways, so cookies issued before the change stay valid.
 * @see https://www.rfc-editor.org/rfc/rfc7519
 */

export type JwtClaims = Record<string, unknown>;
/** Verified claims: `sub`, when present, has been checked to be a string. */
export type VerifiedClaims = JwtClaims & { sub?: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** `{"alg":"HS256"}`, as jose's `setProtectedHeader({ alg: 'HS256' })` wrote it. */
const HEADER = base64UrlOfText(JSON.stringify({ alg: 'HS256' }));

function base64UrlOfBytes(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64UrlOfText(text: string): string {
  return base64UrlOfBytes(encoder.encode(text));
}

function bytesOfBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

function jsonObjectOf(part: string): JwtClaims | null {
  const bytes = bytesOfBase64Url(part);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JwtClaims) : null;
  } catch {
    return null;
  }
}

/**
 * Imported once per secret and use: every signed-in request verifies a token with the same key.
 * The key is kept, not the import's promise, so no request awaits a promise another request's
 * context settles (workerd warns about that).
 */
const hmacKeys = new Map<string, CryptoKey>();
async function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  const id = `${usage}:${secret}`;
  const known = hmacKeys.get(id);
  if (known) return known;
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
  // A handful of secrets at most (one per deployment, and tests'); never grows without bound.
  if (hmacKeys.size >= 8) hmacKeys.clear();
  hmacKeys.set(id, key);
  return key;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Signs `claims` with `aud`, `iat`, `exp` (and `sub` when given) set, like jose's SignJWT did. */
export async function signJwt(secret: string, claims: JwtClaims, options: { audience: string; ttlSeconds: number; subject?: string }): Promise<string> {
  const issuedAt = nowSeconds();
  const payload: JwtClaims = { ...claims, ...(options.subject !== undefined ? { sub: options.subject } : {}), aud: options.audience, iat: issuedAt, exp: issuedAt + options.ttlSeconds };
  const signingInput = `${HEADER}.${base64UrlOfText(JSON.stringify(payload))}`;
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(signingInput));
  return `${signingInput}.${base64UrlOfBytes(new Uint8Array(signature))}`;
}

/**
 * The claims of a token signed with `secret` for `audience` and not expired, else null. Checks
 * what jose's `jwtVerify(token, key, { audience, algorithms: ['HS256'] })` checked: the header
 * names HS256 and no critical extension, the signature (compared in constant time by WebCrypto),
 * `exp` in the future, `nbf` (if any) reached, `iat` (if any) a number, and the audience.
 */
export async function verifyJwt(secret: string, token: string, audience: string): Promise<VerifiedClaims | null> {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = jsonObjectOf(headerPart);
  if (!header || header.alg !== 'HS256' || 'crit' in header || 'b64' in header) return null;
  const signature = bytesOfBase64Url(signaturePart);
  if (!signature) return null;
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), signature, encoder.encode(`${headerPart}.${payloadPart}`));
  if (!valid) return null;
  const payload = jsonObjectOf(payloadPart);
  if (!payload) return null;
  const now = nowSeconds();
  if (typeof payload.exp !== 'number' || payload.exp <= now) return null;
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > now)) return null;
  if (payload.iat !== undefined && typeof payload.iat !== 'number') return null;
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(audience)) return null;
  if (payload.sub !== undefined && typeof payload.sub !== 'string') return null;
  return payload as VerifiedClaims;
}
