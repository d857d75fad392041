// A simulated metered PDU answering SNMP v2c GET over real UDP on a loopback address, with the
// OIDs of the family it imitates (../pdu/families.mjs). Each outlet's power comes from a
// function (the simulator wires it to a simulated miner), and its energy counter integrates that
// power over the simulator's clock, in the family's counter units, wrapping at 2^32 like the real
// Unsigned32 counters. Only GetRequest is served (the agent never walks); v1 messages, a wrong
// community and anything unparsable are dropped, as a real agent drops them.
//
// SNMP v3 (USM: engine discovery, authentication, privacy) is served when the PDU is given a
// `v3` user: the messages reach net-snmp's own agent (`createAgent`,
// https://github.com/markabrahams/node-net-snmp#snmpcreateagent-options-callback-mib), which
// discovers, checks the digest, decrypts and answers reports (unknown user, wrong digest) exactly
// as it does for a real manager. Only its GET step is ours: `getRequest` answers from this PDU's
// live table instead of a registered MIB, since the outlet values change with every request.
// v3 and v2c share the one UDP socket; a message's version decides which side answers it.

import dgram from 'node:dgram';
import asn1 from 'asn1-ber';
import snmp from 'net-snmp';
import { FAMILIES } from '../pdu/families.mjs';
import { COUNTER32 } from '../pdu/counters.mjs';

const { BerReader, BerWriter } = asn1;
const TAG = { integer: 0x02, octetString: 0x04, null: 0x05, oid: 0x06, counter32: 0x41, gauge32: 0x42, noSuchObject: 0x80, noSuchInstance: 0x81 };
const PDU = { get: 0xa0, response: 0xa2 };
const VERSION_2C = 1;
const VERSION_3 = 3;

/**
 * A v3 user the simulated PDU accepts (net-snmp's user shape, protocols by name).
 * @typedef {{ user: string, level?: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv',
 *   auth_protocol?: 'md5' | 'sha' | 'sha256' | 'sha512', auth_key?: string,
 *   priv_protocol?: 'des' | 'aes' | 'aes256b' | 'aes256r', priv_key?: string }} SimV3User
 */

/** The SNMP version of a message (the first INTEGER of its outer SEQUENCE), or null when unparsable. @param {Buffer} msg */
function messageVersion(msg) {
  try {
    const r = new BerReader(msg);
    r.readSequence(0x30);
    return r.readInt();
  } catch {
    return null;
  }
}

/**
 * @typedef {{ family: import('../pdu/families.mjs').PduFamily, address: string, port?: number, community?: string,
 *   outlets: number, power: (outlet: number) => number, metering?: 'outlet' | 'phase', now?: () => number, v3?: SimV3User }} SimPduOptions
 */

export class SimPdu {
  /** @param {SimPduOptions} o */
  constructor(o) {
    this.family = o.family;
    this.spec = FAMILIES[o.family];
    this.address = o.address;
    this.port = o.port ?? 0;
    this.community = o.community ?? 'public';
    this.outletCount = o.outlets;
    this.power = o.power;
    this.metering = o.metering ?? 'outlet';
    this.now = o.now ?? (() => Date.now());
    /** When true the PDU stops answering (a PDU that times out). */
    this.silent = false;
    /** Requests received, for tests. */
    this.requests = 0;
    /** outlet number → energy in Wh (float) since start, and the counter offset in counter units */
    this.energyWh = new Map();
    /** @type {Map<number, number>} */
    this.counterOffset = new Map();
    this.lastTick = this.now();
    /** @type {dgram.Socket | null} */
    this.socket = null;
    this.v3 = o.v3 ?? null;
    /** net-snmp's agent, doing the v3 security for this PDU (null when it answers v2c only). */
    this.v3Agent = this.v3 ? createV3Agent(this, this.v3) : null;
  }

  async start() {
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      this.requests += 1;
      if (this.silent) return;
      if (messageVersion(msg) === VERSION_3) {
        // net-snmp answers through the socket it is handed (Listener.send), so this one.
        if (this.v3Agent) this.v3Agent.onMsg(socket, msg, rinfo);
        return;
      }
      const reply = this.answer(msg);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.address, () => resolve(undefined));
    });
    this.port = socket.address().port;
    return this;
  }

  async stop() {
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise((r) => s.close(() => r(undefined)));
  }

  /** Integrate every outlet's power up to now. */
  tick() {
    const t = this.now();
    const dt = Math.max(0, t - this.lastTick);
    this.lastTick = t;
    for (let n = 1; n <= this.outletCount; n++) this.energyWh.set(n, (this.energyWh.get(n) ?? 0) + (this.power(n) * dt) / 3_600_000);
  }

  /**
   * Set an outlet's counter to `raw` (counter units) from now on, e.g. just under 2^32 to test a wrap.
   * @param {number} outlet @param {number} raw
   */
  setCounter(outlet, raw) {
    this.tick();
    const units = Math.floor((this.energyWh.get(outlet) ?? 0) / this.spec.whPerUnit);
    this.counterOffset.set(outlet, raw - units);
  }

  /** @param {number} outlet */
  counter(outlet) {
    const units = Math.floor((this.energyWh.get(outlet) ?? 0) / this.spec.whPerUnit) + (this.counterOffset.get(outlet) ?? 0);
    return ((units % COUNTER32) + COUNTER32) % COUNTER32;
  }

  /** @returns {Map<string, [number, number]>} oid → [tag, value] */
  table() {
    this.tick();
    /** @type {Map<string, [number, number]>} */
    const values = new Map();
    const phaseW = [0, 0, 0];
    for (let n = 1; n <= this.outletCount; n++) {
      const watts = Math.round(this.power(n));
      phaseW[(n - 1) % 3] += watts;
      if (this.metering !== 'outlet') continue;
      const index = /** @type {string} */ (this.spec.outletIndex(String(n)));
      values.set(this.spec.outletPowerOid(index), [TAG.gauge32, Math.round(watts / this.spec.wattsPerUnit)]);
      values.set(this.spec.outletEnergyOid(index), [TAG.counter32, this.counter(n)]);
    }
    phaseW.forEach((w, i) => values.set(this.spec.phasePowerOid(i + 1), [TAG.gauge32, Math.round(w / this.spec.phaseWattsPerUnit)]));
    return values;
  }

  /** @param {Buffer} msg @returns {Buffer | null} */
  answer(msg) {
    let version, community, requestId;
    /** @type {string[]} */
    const oids = [];
    try {
      const r = new BerReader(msg);
      r.readSequence(0x30);
      version = r.readInt();
      community = r.readString();
      if (r.readSequence() !== PDU.get) return null;
      requestId = r.readInt();
      r.readInt();
      r.readInt();
      r.readSequence(0x30);
      const end = r.offset + r.length;
      while (r.offset < end) {
        r.readSequence(0x30);
        oids.push(r.readOID());
        r.readByte(); // the NULL value's tag
        r.readByte(); // and its zero length
      }
    } catch {
      return null;
    }
    if (version !== VERSION_2C || community !== this.community) return null;
    const values = this.table();
    const w = new BerWriter();
    w.startSequence(0x30);
    w.writeInt(VERSION_2C);
    w.writeString(community);
    w.startSequence(PDU.response);
    w.writeInt(/** @type {number} */ (requestId));
    w.writeInt(0);
    w.writeInt(0);
    w.startSequence(0x30);
    for (const oid of oids) {
      w.startSequence(0x30);
      w.writeOID(oid);
      const v = values.get(oid);
      if (v) w.writeInt(v[1], v[0]);
      else {
        w.writeByte(TAG.noSuchObject);
        w.writeByte(0);
      }
      w.endSequence();
    }
    w.endSequence();
    w.endSequence();
    w.endSequence();
    return w.buffer;
  }
}

/**
 * net-snmp's agent with one USM user, attached to no socket of its own: the PDU's socket hands it
 * v3 messages (`onMsg`). `dgramModule` is net-snmp's documented hook for the socket factory; the
 * stand-in below is never bound, so the agent opens no port.
 * @param {SimPdu} pdu @param {SimV3User} v3
 */
function createV3Agent(pdu, v3) {
  const level = v3.level ?? 'authPriv';
  const unbound = { on() {}, bind() {}, close(/** @type {() => void} */ cb) { cb?.(); }, address() { return {}; } };
  const agent = snmp.createAgent({ dgramModule: { createSocket: () => unbound }, port: 1 }, () => {});
  /** @type {import('net-snmp').V3User} */
  const user = { name: v3.user, level: snmp.SecurityLevel[level] };
  if (level !== 'noAuthNoPriv') {
    user.authProtocol = snmp.AuthProtocols[v3.auth_protocol ?? 'sha'];
    user.authKey = v3.auth_key;
  }
  if (level === 'authPriv') {
    user.privProtocol = snmp.PrivProtocols[v3.priv_protocol ?? 'aes'];
    user.privKey = v3.priv_key;
  }
  agent.getAuthorizer().addUser(user);
  // The GET step, after net-snmp has authenticated and decrypted the request: answer each OID
  // from the live table (noSuchObject for one this PDU does not have), encrypted on the way out.
  agent.getRequest = (/** @type {any} */ socket, /** @type {any} */ message, /** @type {any} */ rinfo) => {
    const values = pdu.table();
    const response = message.pdu.getResponsePduForRequest();
    response.varbinds = message.pdu.varbinds.map((/** @type {{ oid: string }} */ vb) => {
      const v = values.get(vb.oid);
      if (!v) return { oid: vb.oid, type: snmp.ObjectType.NoSuchObject, value: null };
      return { oid: vb.oid, type: v[0] === TAG.counter32 ? snmp.ObjectType.Counter32 : snmp.ObjectType.Gauge32, value: v[1] };
    });
    agent.sendResponse(socket, rinfo, message, response);
  };
  return agent;
}
