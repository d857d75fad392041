import { BRAND_DEFAULT_COLORS } from '../hosts/branding';
import type { PortalHost } from './tenant';

const HEX = /^#[0-9a-f]{6}$/i;

/**
 * The host's colours as CSS custom properties, served as a stylesheet because the CSP allows
 * no inline styles. Colours are re-checked here so a bad row can never inject CSS.
 */
export function brandStylesheet(host: Pick<PortalHost, 'primaryColor' | 'accentColor'>): string {
  const primary = host.primaryColor && HEX.test(host.primaryColor) ? host.primaryColor : BRAND_DEFAULT_COLORS.primaryColor;
  const accent = host.accentColor && HEX.test(host.accentColor) ? host.accentColor : BRAND_DEFAULT_COLORS.accentColor;
  return `:root{--primary:${primary};--brand-primary:${primary};--brand-accent:${accent};--primary-text:${readableTextOn(primary)};}\na{color:${accent};}\n`;
}

/** Black or white text, whichever reads better on the given background (WCAG luminance). */
export function readableTextOn(hex: string): string {
  const channel = (i: number) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance > 0.4 ? '#111111' : '#ffffff';
}
