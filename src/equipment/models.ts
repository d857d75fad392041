/**
 * The built-in catalogue of miner models hosts run, with the manufacturers' published nominal
 * hashrate and wall power (stock firmware, default mode), and where each figure is published.
 * A reported model string (`Antminer S19 Pro`, `S19Pro`, `Whatsminer M30S.VG20`,
 * `AvalonMiner 1246-83`) is normalised (`normaliseModel`) and looked up by key; a host's own
 * entries (Settings → Models, `host_models`) are matched first and win.
 *
 * Figures carry the manufacturers' tolerance (typically ±3 % hashrate, ±5 % power); they are what
 * a unit is billed at only when nothing better is known (docs/billing/usage.md, "Energy sources").
 */

export interface CatalogueModel {
  /** The manufacturer's name for the model. */
  name: string;
  vendor: 'Bitmain' | 'MicroBT' | 'Canaan';
  /** Nominal hashrate, TH/s. */
  ths: number;
  /** Nominal wall power, W. */
  watts: number;
  cooling: 'air' | 'hydro' | 'immersion';
  /** Where the manufacturer publishes the figures. */
  source: string;
  /** Further spellings (normalised keys) that mean this model. */
  aliases?: string[];
}

/** A resolved nominal spec for a reported model string. */
export interface NominalSpec {
  /** Canonical model name (the catalogue's or the host's entry). */
  model: string;
  nominalHashrateMths: number;
  nominalPowerW: number;
  /** `host` when the host's own entry matched, else `catalogue`. */
  origin: 'host' | 'catalogue';
  source: string | null;
}

// Manufacturers' product pages (specifications tab of each model).
const BITMAIN = 'https://shop.bitmain.com/';
const MICROBT = 'https://www.microbt.com/';
const CANAAN = 'https://www.canaan.io/';

const antminer = (name: string, ths: number, watts: number, cooling: CatalogueModel['cooling'] = 'air', aliases?: string[]): CatalogueModel => ({
  name: `Antminer ${name}`,
  vendor: 'Bitmain',
  ths,
  watts,
  cooling,
  source: BITMAIN,
  ...(aliases ? { aliases } : {}),
});
const whatsminer = (name: string, ths: number, watts: number, cooling: CatalogueModel['cooling'] = 'air'): CatalogueModel => ({
  name: `Whatsminer ${name}`,
  vendor: 'MicroBT',
  ths,
  watts,
  cooling,
  source: MICROBT,
});
const avalon = (name: string, ths: number, watts: number, aliases?: string[]): CatalogueModel => ({
  name: `Avalon ${name}`,
  vendor: 'Canaan',
  ths,
  watts,
  cooling: 'air',
  source: CANAAN,
  ...(aliases ? { aliases } : {}),
});

export const MODEL_CATALOGUE: readonly CatalogueModel[] = [
  // Bitmain Antminer, S9 to S21 XP, T-series.
  // Firmware builds sold as "S9 Pro" (mskminer) run S9 hash boards: no Bitmain "S9 Pro" exists.
  antminer('S9', 13.5, 1323, 'air', ['s9pro']),
  antminer('S9i', 14, 1320),
  antminer('S9j', 14.5, 1350),
  antminer('S9k', 13.5, 1310),
  antminer('S9 SE', 16, 1280),
  antminer('S9 Hydro', 18, 1728, 'hydro'),
  antminer('T9+', 10.5, 1432),
  antminer('S11', 20.5, 1530),
  antminer('S15', 28, 1596),
  antminer('T15', 23, 1541),
  antminer('S17', 56, 2520),
  antminer('S17 Pro', 53, 2094),
  antminer('S17+', 73, 2920),
  antminer('S17e', 64, 2880),
  antminer('T17', 40, 2200),
  antminer('T17+', 64, 3200),
  antminer('T17e', 53, 2915),
  antminer('S19', 95, 3250),
  antminer('S19 Pro', 110, 3250),
  antminer('S19j', 90, 3100),
  antminer('S19j Pro', 100, 3050),
  antminer('S19j Pro+', 122, 3355),
  antminer('S19k Pro', 120, 2760),
  antminer('S19 XP', 140, 3010),
  antminer('S19 Hydro', 158, 5451, 'hydro'),
  antminer('S19 Pro+ Hydro', 198, 5445, 'hydro', ['s19proplushyd']),
  antminer('S19 XP Hydro', 255, 5304, 'hydro', ['s19xphyd']),
  antminer('T19', 84, 3150),
  antminer('S21', 200, 3500),
  antminer('S21+', 216, 3564),
  antminer('S21 Pro', 234, 3510),
  antminer('S21 XP', 270, 3645),
  antminer('S21 Hydro', 335, 5360, 'hydro', ['s21hyd']),
  antminer('S21 XP Hydro', 473, 5676, 'hydro', ['s21xphyd']),
  antminer('T21', 190, 3610),
  // MicroBT Whatsminer, M20 to M66 (M5x/M6x "S" revisions; M53/M63/M66 are hydro/immersion).
  whatsminer('M20S', 68, 3360),
  whatsminer('M21S', 56, 3360),
  whatsminer('M30S', 88, 3344),
  whatsminer('M30S+', 100, 3400),
  whatsminer('M30S++', 112, 3472),
  whatsminer('M31S', 76, 3220),
  whatsminer('M31S+', 82, 3280),
  whatsminer('M50', 114, 3306),
  whatsminer('M50S', 126, 3276),
  whatsminer('M53', 226, 6174, 'hydro'),
  whatsminer('M53S', 260, 6760, 'hydro'),
  whatsminer('M56S', 212, 5550, 'immersion'),
  whatsminer('M60', 172, 3422),
  whatsminer('M60S', 186, 3441),
  whatsminer('M63', 334, 6646, 'hydro'),
  whatsminer('M63S', 390, 7215, 'hydro'),
  whatsminer('M66S', 298, 5513, 'immersion'),
  // Canaan Avalon, 10xx to A15xx, Nano and the home models the agent recognises.
  avalon('A1047', 37, 2380),
  avalon('A1066', 50, 3250),
  avalon('A1166 Pro', 81, 3400),
  avalon('A1246', 90, 3420),
  avalon('A1346', 110, 3300),
  avalon('A1366', 130, 3250),
  avalon('A1466', 150, 3230),
  // The A15 firmware reports MODEL "15-<TH/s>" (e.g. AvalonMiner 15-194).
  avalon('A1566', 185, 3420, ['15']),
  avalon('Nano 3', 4, 140),
  avalon('Nano 3S', 6, 140),
  avalon('Mini 3', 37.5, 800),
  avalon('Q', 90, 1674),
];

/** Words that name a vendor or a firmware, not a model. */
const NOISE = /\b(bitmain|antminer|microbt|whatsminer|canaan|avalonminer|avalon|hiveon|vnish|braiins|bosminer|bos|luxos|asicseer|mskminer)\b/g;

/**
 * The comparable key of a model string: lowercase, vendor and firmware words, parenthesised notes
 * and firmware versions dropped, `+` spelled `plus`, Whatsminer hardware revisions (`.VG20`,
 * `V10`) and Avalon's `A` prefix removed, everything but letters and digits removed. A trailing
 * `-<number>` (a hashrate variant, `1246-83`, `S19-88`) is kept after a `-` for `matchModel`.
 */
export function normaliseModel(text: string): string {
  let s = text.toLowerCase();
  s = s.replace(/\([^)]*\)/g, ' ');
  s = s.replace(/\bv\.?\d+(\.\d+)+\b/g, ' '); // firmware versions: v.2.6.0.39, v5.1
  s = s.replace(NOISE, ' ');
  s = s.trim();
  // Whatsminer revisions: M30S.VG20, M20SV10, M30S+ VE40.
  s = s.replace(/^(m\d+s?\s*\+{0,2})\s*[._ ]?\s*v[a-z]{0,2}\d+.*$/, '$1');
  // Hydro spellings.
  s = s.replace(/\bhydro\b/g, 'hyd');
  s = s.replace(/\+/g, 'plus');
  const variant = s.match(/-(\d{2,3})\b/);
  s = s.replace(/-(\d{2,3})\b.*$/, '');
  s = s.replace(/[^a-z0-9]/g, '');
  s = s.replace(/^a(\d{2,4})/, '$1');
  return variant ? `${s}-${variant[1]}` : s;
}

/** Normalised key → catalogue model (names and aliases). */
const BY_KEY: ReadonlyMap<string, CatalogueModel> = (() => {
  const map = new Map<string, CatalogueModel>();
  for (const model of MODEL_CATALOGUE) {
    map.set(normaliseModel(model.name), model);
    for (const alias of model.aliases ?? []) map.set(alias, model);
  }
  return map;
})();

/** A host's own entry, as matched (Settings → Models). */
export interface HostModelEntry {
  name: string;
  matchKey: string;
  nominalHashrateMths: number;
  nominalPowerW: number;
}

const thsToMths = (ths: number) => Math.round(ths * 1000);

/**
 * The nominal spec of a reported model string, or null when neither the host's entries nor the
 * catalogue know it. The host's entries win (exact key, then without the hashrate variant). A
 * hashrate variant (`AvalonMiner 1246-83`) takes the variant's TH/s, and power at the model's
 * published efficiency (W × variant ÷ nominal TH/s, rounded half up).
 */
export function matchModel(reported: string | null | undefined, hostEntries: readonly HostModelEntry[] = []): NominalSpec | null {
  if (!reported || !reported.trim()) return null;
  const key = normaliseModel(reported);
  const [base, variantText] = key.split('-') as [string, string | undefined];
  const hostByKey = new Map(hostEntries.map((e) => [e.matchKey, e]));
  const own = hostByKey.get(key) ?? hostByKey.get(base);
  if (own) return { model: own.name, nominalHashrateMths: own.nominalHashrateMths, nominalPowerW: own.nominalPowerW, origin: 'host', source: null };
  const model = BY_KEY.get(base);
  if (!model) return null;
  const variant = variantText ? Number(variantText) : null;
  if (variant !== null && variant > 0 && Math.abs(variant - model.ths) / model.ths <= 0.35) {
    return {
      model: model.name,
      nominalHashrateMths: variant * 1000,
      nominalPowerW: Math.floor((model.watts * variant) / model.ths + 0.5),
      origin: 'catalogue',
      source: model.source,
    };
  }
  return { model: model.name, nominalHashrateMths: thsToMths(model.ths), nominalPowerW: model.watts, origin: 'catalogue', source: model.source };
}
