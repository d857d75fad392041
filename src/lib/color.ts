/**
 * Colour contrast (WCAG 2.2 relative luminance and contrast ratio), for host palettes: the portal
 * stylesheet, emails and the branding page's warnings all decide with these. public/js/
 * brand-preview.js repeats the same arithmetic for the live preview (it cannot import this).
 */

const HEX = /^#[0-9a-f]{6}$/i;
export const isHexColor = (value: string | null | undefined): value is string => typeof value === 'string' && HEX.test(value);

/** WCAG relative luminance of `#rrggbb`. */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** Contrast ratio between two colours, 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** AA thresholds: body text, and large text / user-interface components. */
export const AA_TEXT = 4.5;
export const AA_LARGE = 3;

/**
 * Black or white text, whichever contrasts more with the background. Pure black: with #111 a
 * mid-luminance colour (#767676-ish) got 4.3:1 either way; with #000 the worse case is 4.58:1.
 */
export function readableTextOn(background: string): '#000000' | '#ffffff' {
  return contrastRatio(background, '#000000') >= contrastRatio(background, '#ffffff') ? '#000000' : '#ffffff';
}

const hex2 = (n: number) => Math.round(Math.min(255, Math.max(0, n))).toString(16).padStart(2, '0');

/**
 * The host's accent as text (links) on a light background: the colour itself when it reaches
 * 4.5:1, else the same hue darkened step by step until it does (black at worst).
 */
export function readableAccent(accent: string, background = '#ffffff', minimum = AA_TEXT): string {
  if (contrastRatio(accent, background) >= minimum) return accent.toLowerCase();
  const rgb = [1, 3, 5].map((i) => parseInt(accent.slice(i, i + 2), 16));
  for (let step = 1; step <= 20; step += 1) {
    const factor = 1 - step * 0.05;
    const candidate = `#${rgb.map((c) => hex2(c * factor)).join('')}`;
    if (contrastRatio(candidate, background) >= minimum) return candidate;
  }
  return '#000000';
}

/** The page background and surface the portal draws host colours on (app.css --bg, --surface). */
export const PORTAL_BACKGROUND = '#f5f6f8';
export const PORTAL_SURFACE = '#ffffff';

/**
 * What the branding page tells a host about its colours, in words (empty when all is well).
 * Text on the primary colour is chosen automatically, so the primary colour only matters as a
 * shape against the page; the accent is text (links) and is darkened when it is too light.
 */
export function brandContrastWarnings(primary: string, accent: string): string[] {
  const warnings: string[] = [];
  const accentRatio = contrastRatio(accent, PORTAL_SURFACE);
  if (accentRatio < AA_TEXT) {
    warnings.push(
      `The accent colour ${accent} has a contrast of ${accentRatio.toFixed(1)}:1 on white, below the 4.5:1 that readable text needs (WCAG AA). Links in your portal use a darker shade, ${readableAccent(accent)}, instead.`,
    );
  }
  const primaryRatio = contrastRatio(primary, PORTAL_BACKGROUND);
  if (primaryRatio < AA_LARGE) {
    warnings.push(
      `The primary colour ${primary} has a contrast of ${primaryRatio.toFixed(1)}:1 against the page, below 3:1: the portal header and buttons will be hard to see. Text on them stays readable (it is chosen automatically).`,
    );
  }
  return warnings;
}
