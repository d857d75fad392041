import { describe, expect, it } from 'vitest';
import { matchModel, MODEL_CATALOGUE, normaliseModel } from '../../src/equipment/models';

/**
 * Every model string the agent produces from the firmware replies in agent/test/fixtures/ (the
 * parse tests' expected `model`, and the raw `Type` fields), with the catalogue model it must map to.
 */
const FIXTURE_MODELS: [reported: string, model: string][] = [
  ['Antminer S19 Pro', 'Antminer S19 Pro'],
  ['Antminer S19', 'Antminer S19'],
  ['S19-88 v.2.6.0.39 ', 'Antminer S19'],
  ['Antminer S9', 'Antminer S9'],
  ['Antminer S9 (vnish 3.8.6)', 'Antminer S9'],
  ['Antminer S9 Hiveon', 'Antminer S9'],
  ['Antminer S9 Pro (v5.1) ', 'Antminer S9'],
  ['Antminer S9 Pro', 'Antminer S9'],
  ['Antminer S9k', 'Antminer S9k'],
  ['Antminer T17+', 'Antminer T17+'],
  ['AvalonMiner 1047', 'Avalon A1047'],
  ['AvalonMiner 1246-83', 'Avalon A1246'],
  ['AvalonMiner 15-194', 'Avalon A1566'],
  ['Avalon Q', 'Avalon Q'],
  ['Whatsminer M30S', 'Whatsminer M30S'],
  ['Whatsminer M30S.VG20', 'Whatsminer M30S'],
];

describe('model catalogue', () => {
  it.each(FIXTURE_MODELS)('matches the fixture model string %j', (reported, model) => {
    expect(matchModel(reported)?.model).toBe(model);
  });

  it('matches the issue’s spellings to the same model', () => {
    for (const spelling of ['Antminer S19 Pro', 'S19Pro', 'antminer s19 pro', 'S19 PRO', 'Bitmain Antminer S19 Pro']) {
      expect(matchModel(spelling)).toMatchObject({ model: 'Antminer S19 Pro', nominalPowerW: 3250, nominalHashrateMths: 110_000, origin: 'catalogue' });
    }
    expect(matchModel('Whatsminer M30S.VG20')).toMatchObject({ model: 'Whatsminer M30S', nominalPowerW: 3344, nominalHashrateMths: 88_000 });
    expect(matchModel('M20SV10')?.model).toBe('Whatsminer M20S');
    expect(matchModel('Whatsminer M30S+VE40')?.model).toBe('Whatsminer M30S+');
    expect(matchModel('Whatsminer M30S++')?.model).toBe('Whatsminer M30S++');
    expect(matchModel('Antminer S21 XP Hyd.')?.model).toBe('Antminer S21 XP Hydro');
    expect(matchModel('Avalon A1566')?.model).toBe('Avalon A1566');
  });

  it('takes a hashrate variant’s TH/s, with power at the model’s efficiency (half up)', () => {
    // A1246: 90 TH/s, 3,420 W → 83 TH/s at 3,420 × 83 / 90 = 3,154 W.
    expect(matchModel('AvalonMiner 1246-83')).toMatchObject({ nominalHashrateMths: 83_000, nominalPowerW: 3154 });
  });

  it('knows the families the issue names, each with a source and sane figures', () => {
    const names = MODEL_CATALOGUE.map((m) => m.name);
    for (const name of ['Antminer S9', 'Antminer S21 XP', 'Antminer S21 XP Hydro', 'Antminer T21', 'Whatsminer M20S', 'Whatsminer M66S', 'Avalon A1066', 'Avalon A1566', 'Avalon Nano 3']) {
      expect(names).toContain(name);
    }
    const keys = new Set<string>();
    for (const model of MODEL_CATALOGUE) {
      expect(model.source).toMatch(/^https:\/\//);
      expect(model.ths).toBeGreaterThan(0);
      // Between 10 and 150 J/TH (the T9+ is 136): a typo in either figure shows up here.
      expect(model.watts / model.ths).toBeGreaterThan(10);
      expect(model.watts / model.ths).toBeLessThan(150);
      const key = normaliseModel(model.name);
      expect(keys.has(key), `${model.name} collides`).toBe(false);
      keys.add(key);
    }
  });

  it('lets the host’s own entry win over the built-in one', () => {
    const own = [{ name: 'S19 Pro (our batch)', matchKey: normaliseModel('S19 Pro'), nominalHashrateMths: 104_000, nominalPowerW: 3068 }];
    expect(matchModel('Antminer S19 Pro', own)).toMatchObject({ model: 'S19 Pro (our batch)', nominalPowerW: 3068, nominalHashrateMths: 104_000, origin: 'host' });
    // Other models still come from the catalogue.
    expect(matchModel('Antminer S19', own)).toMatchObject({ origin: 'catalogue', nominalPowerW: 3250 });
  });

  it('answers null for an unknown or empty model', () => {
    expect(matchModel('Mystery Miner 9000')).toBeNull();
    expect(matchModel('')).toBeNull();
    expect(matchModel(null)).toBeNull();
  });
});
