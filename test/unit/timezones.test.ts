import { describe, expect, it } from 'vitest';
import { isTimezone, TIMEZONES } from '../../src/lib/timezones';

const sha256Hex = async (text: string) =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('');

describe('time zones come from workerd’s Intl, read once', () => {
  it('are exactly the 419 names the generated literal held (UTC first, ICU’s legacy ids such as Asia/Calcutta), so no stored zone stops validating', async () => {
    expect(TIMEZONES).toHaveLength(419);
    expect(TIMEZONES[0]).toBe('UTC');
    expect(new Set(TIMEZONES).size).toBe(TIMEZONES.length);
    // SHA-256 of the former src/lib/timezones.ts literal joined by "\n" (commit c4f7b17).
    expect(await sha256Hex(TIMEZONES.join('\n'))).toBe('f042184b4b581de95dd36abae93d1ecdde3193cc7d6c2ac0e61c4f7c74e87429');
  });

  it('accepts listed zones and refuses anything else', () => {
    for (const zone of ['UTC', 'Europe/Zurich', 'America/Argentina/La_Rioja', 'Asia/Calcutta', 'Pacific/Ponape']) expect(isTimezone(zone)).toBe(true);
    for (const zone of ['', 'utc', 'Mars/Olympus_Mons', 'Europe/Zurich ', '<script>']) expect(isTimezone(zone)).toBe(false);
  });

  it('every listed zone formats a date', () => {
    for (const zone of TIMEZONES) expect(() => new Intl.DateTimeFormat('en', { timeZone: zone }).format(0)).not.toThrow();
  });
});
