/**
 * A host's colours as every surface uses them: the portal stylesheet, emails and the settings
 * form all resolve them here, so a host that never chose colours looks the same everywhere.
 */

/** What a host that never chose colours gets: neutral, never Hashyard's own. A stored null means this. */
export const BRAND_DEFAULT_COLORS = { primaryColor: '#1f2937', accentColor: '#2563eb' } as const;

const HEX_COLOR = /^#[0-9a-f]{6}$/i;

/** A host colour is only used if it is exactly #rrggbb; anything else could break out of a style. */
export const safeColor = (value: string | null | undefined, fallback: string): string => (value && HEX_COLOR.test(value) ? value.toLowerCase() : fallback);

/** Black or white text, whichever reads better on the given background (WCAG relative luminance). */
export function readableTextOn(hex: string): string {
  const channel = (offset: number) => {
    const c = parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance > 0.4 ? '#111111' : '#ffffff';
}

export interface BrandPalette {
  /** Always #rrggbb: the host's, or the default. */
  primaryColor: string;
  accentColor: string;
  /** Readable text on primaryColor (buttons). */
  onPrimaryColor: string;
}

/** The colours to render with: the host's where valid, else the defaults. */
export function brandPalette(colors: { primaryColor: string | null; accentColor: string | null }): BrandPalette {
  const primaryColor = safeColor(colors.primaryColor, BRAND_DEFAULT_COLORS.primaryColor);
  return { primaryColor, accentColor: safeColor(colors.accentColor, BRAND_DEFAULT_COLORS.accentColor), onPrimaryColor: readableTextOn(primaryColor) };
}

/**
 * The palette as CSS custom properties, served as the portal's /brand.css because the CSP allows
 * no inline styles. Colours are re-checked (brandPalette) so a bad row can never inject CSS.
 */
export function brandStylesheet(colors: { primaryColor: string | null; accentColor: string | null }): string {
  const { primaryColor: primary, accentColor: accent, onPrimaryColor } = brandPalette(colors);
  return `:root{--primary:${primary};--brand-primary:${primary};--brand-accent:${accent};--primary-text:${onPrimaryColor};}\na{color:${accent};}\n`;
}
