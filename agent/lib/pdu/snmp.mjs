// Reads a PDU's outlets over SNMP (v2c or v3) with net-snmp, a maintained pure-JS SNMP stack
// (https://github.com/markabrahams/node-net-snmp). GET only, in chunks, one session per PDU per
// cycle; a PDU that does not answer costs one timeout (times the retries), never a stalled cycle.

import snmp from 'net-snmp';
import { FAMILIES } from './families.mjs';

/** OIDs per GET: well under the ~1,400-byte UDP payload older PDU firmware answers with. */
export const OIDS_PER_GET = 20;

/**
 * @typedef {import('./families.mjs').PduFamily} PduFamily
 * @typedef {{ version: '2c', community: string }
 *   | { version: '3', user: string, level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv',
 *       auth_protocol?: 'md5' | 'sha' | 'sha256' | 'sha512', auth_key?: string,
 *       priv_protocol?: 'des' | 'aes' | 'aes256b' | 'aes256r', priv_key?: string }} SnmpCredentials
 * @typedef {{ address: string, port?: number, family: PduFamily, snmp: SnmpCredentials }} PduTarget
 * @typedef {{ outlet: string, power_w: number | null, energy_raw: number | null }} OutletReading
 * @typedef {{ ok: true, metering: 'outlet' | 'phase', outlets: OutletReading[], phases: { phase: number, power_w: number }[] }
 *   | { ok: false, error: string }} PduReading
 */

/** @param {PduTarget} target @param {{ timeoutMs?: number, retries?: number }} o */
function openSession(target, o) {
  /** @type {import('net-snmp').SessionOptions} */
  const options = { port: target.port ?? 161, timeout: o.timeoutMs ?? 2000, retries: o.retries ?? 1, backoff: 1 };
  const c = target.snmp;
  if (c.version === '2c') return snmp.createSession(target.address, c.community, { ...options, version: snmp.Version2c });
  /** @type {import('net-snmp').V3User} */
  const user = { name: c.user, level: snmp.SecurityLevel[c.level] };
  if (c.level !== 'noAuthNoPriv') {
    user.authProtocol = snmp.AuthProtocols[c.auth_protocol ?? 'sha'];
    user.authKey = c.auth_key;
  }
  if (c.level === 'authPriv') {
    user.privProtocol = snmp.PrivProtocols[c.priv_protocol ?? 'aes'];
    user.privKey = c.priv_key;
  }
  return snmp.createV3Session(target.address, user, { ...options, version: snmp.Version3 });
}

/**
 * @param {import('net-snmp').Session} session @param {string[]} oids
 * @returns {Promise<Map<string, number>>} the numeric answers; an OID the PDU does not have is absent
 */
async function getNumbers(session, oids) {
  /** @type {Map<string, number>} */
  const out = new Map();
  for (let i = 0; i < oids.length; i += OIDS_PER_GET) {
    const part = oids.slice(i, i + OIDS_PER_GET);
    const varbinds = await new Promise((resolve, reject) => session.get(part, (err, vb) => (err ? reject(err) : resolve(vb))));
    for (const vb of /** @type {import('net-snmp').Varbind[]} */ (varbinds)) {
      if (snmp.isVarbindError(vb)) continue;
      if (typeof vb.value === 'number' && Number.isFinite(vb.value) && vb.value >= 0) out.set(vb.oid, vb.value);
    }
  }
  return out;
}

/**
 * How far a v3 exchange got: net-snmp keeps the PDU's engine ID once discovery (unauthenticated)
 * was answered, so a timeout after it means the PDU dropped the authenticated request.
 * @param {import('net-snmp').Session} session @returns {'discovered' | 'undiscovered'}
 */
function v3Stage(session) {
  const params = /** @type {{ msgSecurityParameters?: { msgAuthoritativeEngineID?: unknown } }} */ (/** @type {unknown} */ (session)).msgSecurityParameters;
  return params?.msgAuthoritativeEngineID ? 'discovered' : 'undiscovered';
}

/**
 * @param {unknown} err
 * @param {'discovered' | 'undiscovered'} [v3] for a v3 session, how far it got
 */
export function describeSnmpError(err, v3) {
  const e = /** @type {Error} */ (err);
  if (e?.name === 'RequestTimedOutError') {
    // An agent silently drops a v3 message whose digest does not match or does not decrypt
    // (net-snmp's own agent sends no usmStatsWrongDigests report), so a wrong passphrase looks
    // like a timeout right after a successful discovery.
    if (v3 === 'discovered') return 'SNMP v3 authentication failed: the PDU answered discovery but dropped the authenticated request; check the v3 passphrases and auth/priv protocols';
    return 'no answer (timed out): check the address, that SNMP is enabled and the community or v3 user';
  }
  const message = e?.message ?? String(err);
  // The USM reports net-snmp turns into errors (RFC 3414 usmStats*): say which setting is wrong.
  if (/Unknown User Name/.test(message)) return 'SNMP v3 authentication failed: the PDU does not know this v3 user name';
  if (/Wrong Digest|Decryption Error|Unsupported Security Level/.test(message)) return `SNMP v3 authentication failed: ${message}; check the v3 level, passphrases and protocols`;
  return message;
}

/**
 * Read the given outlets: power and energy where the PDU meters outlets; when it meters none of
 * them (outlet-switched or basic units answer noSuchObject), phase (inlet) power instead.
 * @param {PduTarget} target
 * @param {string[]} outlets outlet names as the PDU indexes them (families.mjs)
 * @param {{ timeoutMs?: number, retries?: number, phases?: number }} [o]
 * @returns {Promise<PduReading>}
 */
export async function readPdu(target, outlets, o = {}) {
  const spec = FAMILIES[target.family];
  if (!spec) return { ok: false, error: `unknown PDU family ${target.family}` };
  let session;
  try {
    session = openSession(target, o);
  } catch (err) {
    return { ok: false, error: describeSnmpError(err) };
  }
  session.on('error', () => {}); // socket errors surface on the pending request
  try {
    const indexed = outlets.map((outlet) => ({ outlet, index: spec.outletIndex(outlet) }));
    const oids = indexed.flatMap(({ index }) => (index ? [spec.outletPowerOid(index), spec.outletEnergyOid(index)] : []));
    const values = oids.length ? await getNumbers(session, oids) : new Map();
    const readings = indexed.map(({ outlet, index }) => {
      const power = index ? values.get(spec.outletPowerOid(index)) : undefined;
      const energy = index ? values.get(spec.outletEnergyOid(index)) : undefined;
      return { outlet, power_w: power === undefined ? null : power * spec.wattsPerUnit, energy_raw: energy === undefined ? null : energy };
    });
    if (readings.some((r) => r.power_w !== null || r.energy_raw !== null)) return { ok: true, metering: 'outlet', outlets: readings, phases: [] };
    const phaseNumbers = Array.from({ length: o.phases ?? 3 }, (_, i) => i + 1);
    const phaseValues = await getNumbers(session, phaseNumbers.map((p) => spec.phasePowerOid(p)));
    const phases = phaseNumbers.flatMap((phase) => {
      const v = phaseValues.get(spec.phasePowerOid(phase));
      return v === undefined ? [] : [{ phase, power_w: v * spec.phaseWattsPerUnit }];
    });
    return { ok: true, metering: 'phase', outlets: readings, phases };
  } catch (err) {
    return { ok: false, error: describeSnmpError(err, target.snmp.version === '3' ? v3Stage(session) : undefined) };
  } finally {
    session.close();
  }
}
