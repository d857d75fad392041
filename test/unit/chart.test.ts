import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '../../src/telemetry/types';
import { CHART_BUCKET_MS, chartSegments, HashrateChart, hourTicks, niceScale, type HashrateChartProps } from '../../views/components/chart';

const END = Date.parse('2026-11-26T12:00:00.000Z');
const START = END - 24 * 60 * 60 * 1000;

const point = (t: number, hashrateThs: number | null): HistoryPoint => ({ t, hashrateThs, powerW: null, tempMaxC: null });

/** Buckets from `fromMs` for `count` × 5 minutes, all at `value`. */
const run = (fromMs: number, count: number, value: number | ((i: number) => number)) =>
  Array.from({ length: count }, (_, i) => point(fromMs + i * CHART_BUCKET_MS, typeof value === 'function' ? value(i) : value));

async function render(props: Partial<HashrateChartProps> = {}): Promise<string> {
  const element = HashrateChart({ id: 'test-chart', points: [], endMs: END, timezone: 'UTC', ...props });
  return String(await element.toString());
}

const count = (html: string, needle: string) => html.split(needle).length - 1;

describe('HashrateChart', () => {
  it('renders the same markup for the same input (deterministic)', async () => {
    const points = run(START + 10 * CHART_BUCKET_MS, 50, (i) => 95 + (i % 7) * 0.37);
    const a = await render({ points, nominalThs: 104, timezone: 'Europe/Berlin' });
    const b = await render({ points, nominalThs: 104, timezone: 'Europe/Berlin' });
    expect(a).toBe(b);
    expect(a).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('is accessible: role img, a title and a numeric description it is labelled by', async () => {
    const html = await render({ points: run(START, 12, 100), title: 'Fleet hashrate, last 24 hours' });
    expect(html).toContain('role="img"');
    expect(html).toContain('aria-labelledby="test-chart-title test-chart-desc"');
    expect(html).toContain('<title id="test-chart-title">Fleet hashrate, last 24 hours</title>');
    expect(html).toMatch(/<desc id="test-chart-desc">Average 100 TH\/s, lowest 100 TH\/s, highest 100 TH\/s; latest 100 TH\/s at 12:55\. Data in 12 of 288 five-minute intervals\. Times in UTC\.<\/desc>/);
    // The data table fallback: one row per hour with data.
    expect(html).toContain('<details class="chart-data">');
    expect(count(html, '<time datetime=')).toBe(1);
  });

  it('uses no inline style attributes (CSP), only presentation attributes and classes', async () => {
    const html = await render({ points: run(START, 100, 90), nominalThs: 104 });
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).toContain('stroke="#2563eb"');
    expect(html).toContain('class="chart-line"');
  });

  it('shows gaps as gaps: a missing bucket or a null value breaks the line; a lone point is a dot', async () => {
    const points = [
      ...run(START, 10, 100),
      // bucket 10 missing
      ...run(START + 11 * CHART_BUCKET_MS, 5, 101),
      point(START + 16 * CHART_BUCKET_MS, null),
      ...run(START + 17 * CHART_BUCKET_MS, 4, 99),
      // 21..29 missing, then one lone point
      point(START + 30 * CHART_BUCKET_MS, 98),
    ];
    const segments = chartSegments(points, START, END);
    expect(segments.map((s) => s.length)).toEqual([10, 5, 4, 1]);
    const html = await render({ points });
    expect(count(html, 'class="chart-line"')).toBe(3);
    expect(count(html, 'class="chart-area"')).toBe(3);
    expect(count(html, 'class="chart-dot"')).toBe(1);
    expect(html).toContain('Data in 20 of 288');
  });

  it('draws the nominal reference line with its label, and scales the axis to fit it', async () => {
    const html = await render({ points: run(START, 20, 50), nominalThs: 104 });
    expect(html).toContain('class="chart-nominal"');
    expect(html).toContain('stroke-dasharray="6 4"');
    expect(html).toContain('Nominal 104 TH/s');
    // The axis reaches above the nominal: 104 × 1.05 = 109.2 → ticks 0, 25, … 125.
    const labels = [...html.matchAll(/text-anchor="end" font-size="11" fill="#6b7280">([^<]+)</g)].map((m) => m[1]);
    expect(labels[0]).toBe('0');
    expect(Number(labels[labels.length - 1])).toBeGreaterThanOrEqual(104);
  });

  it('says so when there is no data, and has no table', async () => {
    const html = await render({ points: [] });
    expect(html).toContain('No data in the last 24 hours');
    expect(html).toContain('No hashrate reported in the last 24 hours.');
    expect(html).not.toContain('<details');
    expect(html).not.toContain('class="chart-line"');
  });

  it('ignores points outside the 24-hour window', async () => {
    const html = await render({ points: [...run(START - 50 * CHART_BUCKET_MS, 10, 100), ...run(START + CHART_BUCKET_MS, 3, 100)] });
    expect(html).toContain('Data in 3 of 288');
  });

  it('switches to PH/s for a large fleet', async () => {
    const html = await render({ points: run(START, 6, 12_400), nominalThs: 13_000 });
    expect(html).toContain('>PH/s<');
    expect(html).toContain('Nominal 13.0 PH/s');
    expect(html).toContain('Average 12.4 PH/s');
  });

  it('escapes the title', async () => {
    const html = await render({ title: '<script>alert(1)</script>' });
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('hourTicks', () => {
  it('puts a tick on every whole hour of the viewer’s zone, labels every third, dates midnight', () => {
    const utc = hourTicks(START, END, 'UTC');
    expect(utc).toHaveLength(25);
    expect(utc.every((tick) => tick.t % (60 * 60 * 1000) === 0)).toBe(true);
    expect(utc.filter((tick) => tick.label !== null).map((tick) => tick.label)).toEqual(['12:00', '15:00', '18:00', '21:00', '26 Nov', '03:00', '06:00', '09:00', '12:00']);
  });

  it('handles half-hour offsets (Asia/Kolkata, UTC+5:30)', () => {
    const ticks = hourTicks(START, END, 'Asia/Kolkata');
    expect(ticks).toHaveLength(24);
    expect(ticks.every((tick) => tick.t % (60 * 60 * 1000) === 30 * 60 * 1000)).toBe(true);
    // 12:00 UTC is 17:30 in Kolkata: the first whole hour after START is 18:00 local (12:30 UTC the day before).
    expect(ticks[0]!.t).toBe(START + 30 * 60 * 1000);
    expect(ticks[0]!.label).toBe('18:00');
  });

  it('follows the host’s zone (America/Chicago) and falls back to UTC for an unknown zone', () => {
    const chicago = hourTicks(START, END, 'America/Chicago');
    // 12:00 UTC = 06:00 CST: labels at 06:00, 09:00, …
    expect(chicago[0]!.label).toBe('06:00');
    expect(hourTicks(START, END, 'Not/AZone')).toEqual(hourTicks(START, END, 'UTC'));
  });

  it('steps by the hour yet finds every whole local hour across offset changes of an hour and of 30 minutes', () => {
    // Every quarter whose local minute is 00: what the ticks were before they stepped by the hour.
    const everyQuarter = (start: number, end: number, zone: string) => {
      const format = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      const out: number[] = [];
      for (let t = Math.ceil(start / 900_000) * 900_000; t <= end; t += 900_000) if (format.formatToParts(new Date(t)).find((p) => p.type === 'minute')!.value === '00') out.push(t);
      return out;
    };
    const days = [
      ['America/Chicago', Date.UTC(2026, 2, 7, 18)], // into daylight time (2026-03-08)
      ['America/Chicago', Date.UTC(2026, 9, 31, 18)], // out of it (2026-11-01)
      ['Australia/Lord_Howe', Date.UTC(2026, 3, 4, 6)], // +11:00 → +10:30 (2026-04-05)
      ['Australia/Lord_Howe', Date.UTC(2026, 9, 3, 6)], // +10:30 → +11:00 (2026-10-04)
    ] as const;
    for (const [zone, start] of days) {
      const end = start + 24 * 60 * 60 * 1000;
      expect(hourTicks(start, end, zone).map((tick) => tick.t), `${zone} ${new Date(start).toISOString()}`).toEqual(everyQuarter(start, end, zone));
    }
  });
});

describe('niceScale', () => {
  it('picks 1, 2, 2.5 or 5 × 10^n steps', () => {
    expect(niceScale(109.2)).toMatchObject({ max: 125, step: 25 });
    expect(niceScale(3.9)).toMatchObject({ max: 4, step: 1 });
    expect(niceScale(0)).toMatchObject({ max: 1 });
    expect(niceScale(0.42)).toMatchObject({ max: 0.5, step: 0.1, decimals: 1 });
    expect(niceScale(1000)).toMatchObject({ max: 1000, step: 200 });
    expect(niceScale(13.65)).toMatchObject({ max: 15, step: 5 });
  });
});
