import { describe, expect, it } from 'vitest';
import { billedWh, type KwhSource, type UsageRow } from '../../src/billing/energy';
import { computeInvoiceLines, type ContractFacts } from '../../src/billing/invoice-lines';
import { currencyExponent } from '../../src/billing/money';
import { billingPeriod } from '../../src/billing/periods';
import { rng } from '../helpers/random';

/** Reference rounding, written independently of money.ts: round(n / d) half up for n ≥ 0. */
const refRound = (n: bigint, d: bigint) => (2n * n + d) / (2n * d);

const SERIES = 10_000;
const period = billingPeriod('2026-03', 1, 'UTC');
const SOURCES: KwhSource[] = ['metered', 'spec', 'hashrate'];
const CURRENCIES = ['USD', 'JPY', 'BHD', 'EUR'];

describe('invoice lines over random usage series', () => {
  it(`total = sum of lines and each line = its exact rounded value, for ${SERIES.toLocaleString('en-US')} series`, () => {
    for (let seed = 1; seed <= SERIES; seed++) {
      const random = rng(seed);
      const int = (max: number) => Math.floor(random() * (max + 1));
      const currency = CURRENCIES[int(CURRENCIES.length - 1)]!;
      const source = SOURCES[int(2)]!;
      const efficiency = 15_000 + int(20_000);
      const rate = 1 + int(500_000);
      const taxBps = random() < 0.5 ? 0 : 1 + int(2_500);
      const unitCount = 1 + int(4);
      const units = Array.from({ length: unitCount }, (_, u) => ({ minerId: `m${u}`, serial: `S${u}`, mac: null, siteId: 's1', nominalPowerW: 1_000 + int(4_000), siteRateMicrosPerKwh: rate }));
      const rowsByUnit = units.map((unit) =>
        Array.from({ length: int(60) }, (_, h): UsageRow => ({
          minerId: unit.minerId,
          hourStart: period.fromMs + h * 3_600_000,
          siteId: 's1',
          customerId: 'c1',
          energyWh: int(5_000),
          energySource: 'miner',
          avgHashrateMths: int(250_000),
          onlineSeconds: int(3_600),
          samples: 60,
        })),
      );
      const usage = units.map((unit, u) => ({
        minerId: unit.minerId,
        rows: rowsByUnit[u]!.length,
        billedWh: rowsByUnit[u]!.reduce((sum, row) => sum + billedWh(row, source, unit, efficiency)!, 0),
      }));
      const contract: ContractFacts = {
        id: 'k1',
        name: 'Hosting',
        kind: 'hosted',
        currency,
        startDate: '2026-01-01',
        endDate: '2026-12-31',
        pricing: 'per_kwh',
        kwhSource: source,
        energyRateMicrosPerKwh: rate,
        efficiencyMjPerTh: efficiency,
        monthlyFeeMinor: null,
        infinityMths: null,
        priceMicrosPerThDay: null,
        setupFeeMinor: random() < 0.2 ? int(100_000) : 0,
        depositMinor: 0,
        units,
        siteCount: 0,
        usage,
        windowFromMs: period.fromMs,
        windowToMs: period.toMs,
      };
      const result = computeInvoiceLines({
        customerId: 'c1',
        period,
        currency,
        hostCurrency: currency,
        hostDefaultRateMicrosPerKwh: null,
        tax: taxBps > 0 ? { label: 'Tax', rateBps: taxBps } : null,
        contracts: [contract],
        adjustments: [],
        seals: [],
        unsealedDays: [],
      });
      const context = `seed ${seed}`;
      expect(result.totalMinor, context).toBe(result.lines.reduce((sum, line) => sum + line.amountMinor, 0));
      const totalWh = usage.reduce((sum, u) => sum + u.billedWh, 0);
      const energy = result.lines.filter((l) => l.kind === 'energy');
      if (usage.some((u) => u.rows > 0)) {
        expect(energy, context).toHaveLength(1);
        expect(energy[0]!.energyWh, context).toBe(totalWh);
        const scale = 10n ** BigInt(currencyExponent(currency));
        expect(BigInt(energy[0]!.amountMinor), context).toBe(refRound(BigInt(totalWh) * BigInt(rate) * scale, 1_000_000_000n));
      } else {
        expect(energy, context).toHaveLength(0);
      }
      const taxable = result.lines.filter((l) => l.taxable).reduce((sum, l) => sum + l.amountMinor, 0);
      const tax = result.lines.find((l) => l.kind === 'tax');
      if (taxBps > 0 && taxable > 0) expect(BigInt(tax!.amountMinor), context).toBe(refRound(BigInt(taxable) * BigInt(taxBps), 10_000n));
      else expect(tax, context).toBeUndefined();
      for (const line of result.lines) expect(Number.isSafeInteger(line.amountMinor), context).toBe(true);
    }
  }, 120_000);
});
