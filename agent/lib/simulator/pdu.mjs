// A simulated metered PDU answering SNMP v2c GET over real UDP on a loopback address, with the
// OIDs of the family it imitates (../pdu/families.mjs). Each outlet's power comes from a
// function (the simulator wires it to a simulated miner), and its energy counter integrates that
// power over the simulator's clock, in the family's counter units, wrapping at 2^32 like the real
// Unsigned32 counters. Only GetRequest is served (the agent never walks); v1/v3 messages, a wrong
// community and anything unparsable are dropped, as a real agent drops them.

import dgram from 'node:dgram';
import asn1 from 'asn1-ber';
import { FAMILIES } from '../pdu/families.mjs';
import { COUNTER32 } from '../pdu/counters.mjs';

const { BerReader, BerWriter } = asn1;
const TAG = { integer: 0x02, octetString: 0x04, null: 0x05, oid: 0x06, counter32: 0x41, gauge32: 0x42, noSuchObject: 0x80, noSuchInstance: 0x81 };
const PDU = { get: 0xa0, response: 0xa2 };
const VERSION_2C = 1;

/**
 * @typedef {{ family: import('../pdu/families.mjs').PduFamily, address: string, port?: number, community?: string,
 *   outlets: number, power: (outlet: number) => number, metering?: 'outlet' | 'phase', now?: () => number }} SimPduOptions
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
  }

  async start() {
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      this.requests += 1;
      if (this.silent) return;
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
