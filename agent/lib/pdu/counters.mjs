// Outlet energy counters are 32-bit (Unsigned32/Counter32 in every supported MIB): a counter in
// Wh wraps after 4,294,967,295 Wh, and some PDUs let staff reset it. The agent keeps, per outlet,
// how many times it saw the counter wrap and reports the unwrapped total in Wh. The Worker only
// ever uses the difference between two consecutive totals of the same outlet, and ignores a
// total that went down (an agent restart forgets the wraps; a reset starts again from 0).

export const COUNTER32 = 2 ** 32;

/**
 * A drop this large can only be a wrap: a reset or a replaced PDU lands near zero from a value
 * that was not near the top. Half the range is RFC 2578's rule for Counter32 deltas (§7.1.6:
 * "the management station must know ... wraps"): between two reads less than 2^31 pass.
 */
const WRAP_MIN_DROP = 2 ** 31;

export class EnergyCounters {
  constructor() {
    /** @type {Map<string, { raw: number, wraps: number }>} */
    this.seen = new Map();
  }

  /**
   * The unwrapped counter (in the counter's own units) for a new raw reading.
   * @param {string} key pdu id + outlet
   * @param {number} raw the 32-bit reading
   * @returns {{ total: number, event: 'first' | 'same' | 'wrap' | 'reset' }}
   */
  update(key, raw) {
    const prev = this.seen.get(key);
    if (!prev) {
      this.seen.set(key, { raw, wraps: 0 });
      return { total: raw, event: 'first' };
    }
    if (raw >= prev.raw) {
      prev.raw = raw;
      return { total: prev.wraps * COUNTER32 + raw, event: 'same' };
    }
    if (prev.raw - raw >= WRAP_MIN_DROP) {
      prev.wraps += 1;
      prev.raw = raw;
      return { total: prev.wraps * COUNTER32 + raw, event: 'wrap' };
    }
    // Reset: start again. The total goes down; the Worker drops that interval's counter energy.
    this.seen.set(key, { raw, wraps: 0 });
    return { total: raw, event: 'reset' };
  }
}
