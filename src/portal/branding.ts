import { BRAND_DEFAULT_COLORS } from '../hosts/branding';
import { readableAccent, readableTextOn } from '../lib/color';
import type { PortalHost } from './tenant';

const HEX = /^#[0-9a-f]{6}$/i;

/**
 * The host's colours as CSS custom properties, served as a stylesheet because the CSP allows
 * no inline styles. Colours are re-checked here so a bad row can never inject CSS.
 */
export function brandStylesheet(host: Pick<PortalHost, 'primaryColor' | 'accentColor'>): string {
  const primary = host.primaryColor && HEX.test(host.primaryColor) ? host.primaryColor : BRAND_DEFAULT_COLORS.primaryColor;
  const accent = host.accentColor && HEX.test(host.accentColor) ? host.accentColor : BRAND_DEFAULT_COLORS.accentColor;
  // The accent is text (links, the current tab): too light a colour is darkened until it reads
  // at 4.5:1 on white. Text on the primary colour is black or white, whichever contrasts more.
  const link = readableAccent(accent);
  return `:root{--primary:${primary};--brand-primary:${primary};--brand-accent:${link};--primary-text:${readableTextOn(primary)};}\na{color:${link};}\n`;
}

export { readableTextOn };
