import { describe, expect, it } from 'vitest';
import { describeAlert } from '../../src/alerts/describe';
import { unitName as minerDisplayName } from '../../src/equipment/naming';
import { alertRulesFormToInput, alertRulesSchema } from '../../src/alerts/schema';
import {
  currencyExponent,
  dateFormatter,
  fixed,
  formatAgo,
  formatCount,
  formatDate,
  formatDuration,
  formatEfficiency,
  formatEnergy,
  formatHashrate,
  formatMoney,
  formatNumber,
  formatPercent,
  formatPower,
  formatTemperature,
  formatUptime,
  timezoneNote,
  unitField,
  UNITS,
} from '../../src/lib/format';

describe('live value formatting', () => {
  it('keeps about three significant figures, deciding on the rounded value', () => {
    expect(formatNumber(3.456)).toBe('3.46');
    expect(formatNumber(98.24)).toBe('98.2');
    expect(formatNumber(99.96)).toBe('100');
    expect(formatNumber(9.999)).toBe('10.0');
    expect(formatNumber(158.5)).toBe('159');
    expect(formatNumber(999.6)).toBe('1,000');
    expect(formatNumber(12_345.6)).toBe('12,346');
  });

  it('scales hashrate to PH/s and EH/s', () => {
    expect(formatHashrate(98.2)).toBe('98.2 TH/s');
    expect(formatHashrate(12_400)).toBe('12.4 PH/s');
    expect(formatHashrate(3_200_000)).toBe('3.20 EH/s');
    expect(formatHashrate(null)).toBe('—');
  });

  it('formats power, temperature, efficiency, share and durations', () => {
    expect(formatPower(3050)).toBe('3,050 W');
    expect(formatPower(125_000)).toBe('125 kW');
    expect(formatTemperature(73.5)).toBe('73.5 °C');
    expect(formatTemperature(74)).toBe('74 °C');
    expect(formatEfficiency(30.96)).toBe('31.0 J/TH');
    expect(formatPercent(0.944)).toBe('94%');
    expect(formatPercent(Infinity)).toBe('—');
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(45 * 60_000)).toBe('45m');
    expect(formatDuration(125 * 60_000)).toBe('2h 5m');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatUptime(93_600)).toBe('1d 2h');
    expect(formatUptime(null)).toBe('—');
  });
});

describe('alert descriptions', () => {
  it('says what crossed the rule, for each kind and detail SiteState writes', () => {
    expect(describeAlert('over_temp', JSON.stringify({ temp_c: 92, limit_c: 85 }))).toBe('Temperature 92 °C, above the 85 °C limit.');
    expect(describeAlert('low_hashrate', JSON.stringify({ hashrate_ths: 60, expected_ths: 104, threshold_pct: 80 }))).toBe(
      'Hashrate 60.0 TH/s, below 80% of the expected 104 TH/s.',
    );
    expect(describeAlert('offline', JSON.stringify({ state: 'error' }))).toBe('The miner reported an error state.');
    expect(describeAlert('offline', JSON.stringify({ last_seen_at: '2026-11-26T21:59:58.000Z', after_minutes: 10 }))).toBe(
      'No report for more than 10 minutes (last seen 2026-11-26 21:59 UTC).',
    );
    // Missing or broken detail still reads as a sentence.
    expect(describeAlert('over_temp', null)).toBe('Temperature above the limit.');
    expect(describeAlert('low_hashrate', '{not json')).toBe('Hashrate below the expected rate.');
    expect(describeAlert('offline', '[]')).toBe('The miner stopped reporting.');
  });

  it('names a miner by model and location, with its serial or MAC', () => {
    expect(minerDisplayName({ id: 'abcdef123', model: 'S19j Pro', rackLocation: 'A-12', serial: 'SN1', mac: null })).toBe('S19j Pro · A-12 (SN1)');
    expect(minerDisplayName({ id: 'abcdef123', model: null, rackLocation: null, serial: null, mac: '02:00:00:00:00:01' })).toBe('02:00:00:00:00:01');
    expect(minerDisplayName({ id: 'abcdef123', model: ' ', rackLocation: null, serial: null, mac: null })).toBe('abcdef12');
  });
});

describe('alert rules schema', () => {
  it('maps a form onto numbers and a boolean, and enforces the ranges', () => {
    const input = alertRulesFormToInput({
      offline_minutes: ' 15 ',
      low_hashrate_pct: '80',
      low_hashrate_minutes: '0',
      over_temp_c: '85',
      over_temp_minutes: '5',
      cooldown_minutes: '30',
      email_customer: 'on',
    });
    expect(alertRulesSchema.parse(input)).toEqual({
      offline_minutes: 15,
      low_hashrate_pct: 80,
      low_hashrate_minutes: 0,
      over_temp_c: 85,
      over_temp_minutes: 5,
      cooldown_minutes: 30,
      email_customer: true,
    });
    const bad = alertRulesSchema.safeParse({ ...input, over_temp_c: 200, cooldown_minutes: -1, offline_minutes: 1.5, extra: 1 });
    expect(bad.success).toBe(false);
    expect(alertRulesFormToInput({}).email_customer).toBe(false);
  });
});

describe('the one formatting module (src/lib/format.ts)', () => {
  it('reads a reading the same way on every page: uptime in seconds, temperature to a tenth', () => {
    expect(formatUptime(30)).toBe('30s');
    expect(formatTemperature(85.5)).toBe('85.5 °C');
    expect(formatTemperature(85.04)).toBe('85 °C');
    expect(formatTemperature(undefined)).toBe('—');
    expect(formatPower(9_999)).toBe('9,999 W');
    expect(formatPower(12_500_000)).toBe('12.5 MW');
    expect(formatHashrate(Number.NaN)).toBe('—');
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(fixed(3050.4, 0)).toBe('3,050');
  });

  it('scales energy from Wh', () => {
    expect(formatEnergy(850)).toBe('850 Wh');
    expect(formatEnergy(12_345)).toBe('12.3 kWh');
    expect(formatEnergy(4_200_000)).toBe('4.20 MWh');
    expect(formatEnergy(2_500_000_000)).toBe('2.50 GWh');
    expect(formatEnergy(null)).toBe('—');
  });

  it('formats money from integer minor units with the ISO 4217 exponent, exactly', () => {
    expect(formatMoney(1_234_567, 'USD')).toBe('12,345.67 USD');
    expect(formatMoney(5, 'EUR')).toBe('0.05 EUR');
    expect(formatMoney(-1250, 'BHD')).toBe('-1.250 BHD');
    expect(formatMoney(500, 'JPY')).toBe('500 JPY');
    expect(formatMoney(0, 'USD')).toBe('0.00 USD');
    expect(formatMoney(123_456_789_012_345_678n, 'USD')).toBe('1,234,567,890,123,456.78 USD');
    expect(currencyExponent('KWD')).toBe(3);
    expect(() => formatMoney(100, 'XXX1')).toThrow(RangeError);
    expect(() => formatMoney(0.5, 'USD')).toThrow(RangeError);
  });

  it('says how long ago a live value was read', () => {
    const now = Date.UTC(2026, 11, 2, 12, 0, 0);
    expect(formatAgo(now - 15_000, now)).toBe('15s ago');
    expect(formatAgo(now - 125 * 60_000, now)).toBe('2h 5m ago');
    expect(formatAgo(now - 200, now)).toBe('just now');
  });

  it('prints dates in the named zone, falling back to UTC for an unknown one', () => {
    const ms = Date.UTC(2026, 11, 2, 14, 5);
    expect(formatDate(ms, 'Europe/Berlin')).toBe('2 Dec 2026, 15:05');
    expect(formatDate(ms, 'Europe/Berlin', 'date')).toBe('2 Dec 2026');
    expect(formatDate(ms, 'UTC', 'long')).toBe('2 December 2026 at 14:05');
    expect(formatDate(ms, 'Not/AZone')).toBe('2 Dec 2026, 14:05');
    expect(timezoneNote('America/New_York')).toBe('Times in America/New_York');
    // Cached: the same formatter object for the same zone and style.
    expect(dateFormatter('Asia/Tokyo', 'date')).toBe(dateFormatter('Asia/Tokyo', 'date'));
  });

  it('names CSV columns with the same unit suffixes', () => {
    expect(unitField('live_hashrate', 'hashrate')).toBe('live_hashrate_ths');
    expect(unitField('live_temp_max', 'temperature')).toBe('live_temp_max_c');
    expect(UNITS.hashrate.label).toBe('TH/s');
  });
});
