/**
 * A host's colours as every surface uses them: the portal stylesheet, emails and the settings
 * form all resolve them here, so a host that never chose colours looks the same everywhere.
 */

export { readableTextOn };

/** What a host that never chose colours gets: neutral, never Hashyard's own. A stored null means this. */
export const BRAND_DEFAULT_COLORS = { primaryColor: '#1f2937', accentColor: '#2563eb' } as const;

import { readableAccent, readableTextOn } from '../lib/color';

const HEX_COLOR = /^#[0-9a-f]{6}$/i;

/** A host colour is only used if it is exactly #rrggbb; anything else could break out of a style. */
export const safeColor = (value: string | null | undefined, fallback: string): string => (value && HEX_COLOR.test(value) ? value.toLowerCase() : fallback);

export interface BrandPalette {
  /** Always #rrggbb: the host's, or the default. */
  primaryColor: string;
  /** The accent as text (links, the current tab): darkened until it reads at 4.5:1 on white. */
  accentColor: string;
  /** Readable text on primaryColor (buttons). */
  onPrimaryColor: string;
}

/** The colours to render with: the host's where valid, else the defaults. */
export function brandPalette(colors: { primaryColor: string | null; accentColor: string | null }): BrandPalette {
  const primaryColor = safeColor(colors.primaryColor, BRAND_DEFAULT_COLORS.primaryColor);
  return { primaryColor, accentColor: readableAccent(safeColor(colors.accentColor, BRAND_DEFAULT_COLORS.accentColor)), onPrimaryColor: readableTextOn(primaryColor) };
}

/**
 * The palette as CSS custom properties, served as the portal's /brand.css because the CSP allows
 * no inline styles. Colours are re-checked (brandPalette) so a bad row can never inject CSS.
 */
export function brandStylesheet(colors: { primaryColor: string | null; accentColor: string | null }): string {
  const { primaryColor: primary, accentColor: accent, onPrimaryColor } = brandPalette(colors);
  return `:root{--primary:${primary};--brand-primary:${primary};--brand-accent:${accent};--primary-text:${onPrimaryColor};}\na{color:${accent};}\n`;
}
