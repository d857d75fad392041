// Whatsminer (btminer) error codes → readable text. MicroBT numbers its codes
// as <type><subtype><value>: the last digit is the value, the one before it
// the subtype, the rest the type (6-digit codes: first two digits are the
// type). The type names the failing subsystem; a few frequent codes have their
// own text. Categories follow MicroBT's published error-code list (as also
// tabulated by pyasic's data/error_codes/whatsminer.py, Apache-2.0).

/** Exact texts for frequent codes. */
const EXACT = /** @type {Record<number, string>} */ ({
  110: 'intake fan speed error',
  111: 'exhaust fan speed error',
  120: 'intake fan speed off by more than 2000 RPM',
  121: 'exhaust fan speed off by more than 2000 RPM',
  130: 'intake fan speed off by more than 3000 RPM',
  131: 'exhaust fan speed off by more than 3000 RPM',
  140: 'fan speed too high',
  200: 'no power supply found',
  203: 'power supply protecting: environment too hot',
  206: 'power supply input voltage too low',
  600: 'environment temperature too high',
  610: 'environment temperature too high for high-power mode',
  2010: 'no pool configured',
  2310: 'hashrate too low',
});

/** Subsystem by type. */
const TYPES = /** @type {Record<number, string>} */ ({
  1: 'fan',
  2: 'power supply',
  3: 'temperature',
  4: 'EEPROM',
  5: 'hashboard',
  6: 'environment temperature',
  7: 'control board',
  8: 'firmware checksum',
  9: 'power rate',
  20: 'pool',
  21: 'factory test',
  23: 'hashrate',
  50: 'chip voltage',
  51: 'chip frequency',
  52: 'chip nonce errors',
  53: 'chip too few nonces',
  54: 'chip temperature protection',
  55: 'chip reset',
  56: 'chip zero nonce',
  80: 'firmware/tool version',
  81: 'chip data',
  82: 'power supply version',
  84: 'firmware version',
});

/**
 * "btminer error code 110: intake fan speed error".
 * @param {number} code
 */
export function describeWhatsminerError(code) {
  const exact = EXACT[code];
  if (exact) return `btminer error code ${code}: ${exact}`;
  const s = String(Math.abs(Math.trunc(code)));
  let type;
  if (s.length === 6 && s[0] !== '1') type = Number(s.slice(0, 2));
  else if (s.length >= 3) type = Number(s.slice(0, -2));
  const what = type === undefined ? undefined : TYPES[type];
  return what ? `btminer error code ${code}: ${what} error` : `btminer error code ${code}`;
}
