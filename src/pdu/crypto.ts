import { AppError } from '../lib/errors';

/**
 * SNMP credentials at rest: AES-256-GCM under a key derived (HKDF-SHA-256) from the Worker secret
 * PDU_SECRET_KEY, a fresh 96-bit IV per write, and the row's `hostId:pduId` as additional data,
 * so a ciphertext copied onto another host's or another PDU's row does not decrypt.
 * Stored as `v1.<iv base64>.<ciphertext base64>`.
 * @see https://developers.cloudflare.com/workers/runtime-apis/web-crypto/
 * @see https://developers.cloudflare.com/workers/configuration/secrets/
 */
export const PDU_KEY_MIN_LENGTH = 32;
const INFO = new TextEncoder().encode('hashyard/pdu-credentials/v1');

export async function pduCredentialKey(env: { PDU_SECRET_KEY?: string; ENVIRONMENT?: string }): Promise<CryptoKey> {
  const secret = env.PDU_SECRET_KEY ?? '';
  if (secret.length < PDU_KEY_MIN_LENGTH) {
    throw new AppError('internal', `PDU_SECRET_KEY is not set (at least ${PDU_KEY_MIN_LENGTH} characters): set it with wrangler secret put PDU_SECRET_KEY.`);
  }
  if (env.ENVIRONMENT === 'production' && secret.startsWith('dev-only')) {
    throw new AppError('internal', 'PDU_SECRET_KEY is the development value; set a real secret before storing PDU credentials.');
  }
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: INFO }, material, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export async function encryptSecret(key: CryptoKey, context: string, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new TextEncoder().encode(JSON.stringify(value));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) }, key, data));
  return `v1.${toBase64(iv)}.${toBase64(sealed)}`;
}

export async function decryptSecret<T>(key: CryptoKey, context: string, stored: string): Promise<T> {
  const [version, iv, sealed] = stored.split('.');
  if (version !== 'v1' || !iv || !sealed) throw new AppError('internal', 'Stored PDU credentials are not in a known format.');
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64(iv), additionalData: new TextEncoder().encode(context) }, key, fromBase64(sealed));
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  } catch {
    throw new AppError('internal', 'Stored PDU credentials do not decrypt: was PDU_SECRET_KEY changed?');
  }
}
