import { describe, expect, it } from 'vitest';
import { brandContrastWarnings, contrastRatio, readableAccent, readableTextOn } from '../../src/lib/color';
import { BRAND_DEFAULT_COLORS } from '../../src/hosts/palette';
import { brandStylesheet } from '../../src/hosts/palette';

/** Every 17th step of each channel: 4,096 colours across the whole cube. */
const palette: string[] = [];
for (let r = 0; r < 256; r += 17) for (let g = 0; g < 256; g += 17) for (let b = 0; b < 256; b += 17) palette.push(`#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`);

describe('colour contrast for host palettes', () => {
  it('measures WCAG contrast ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1);
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });

  it('chooses text on any colour the branding page accepts that reads at 4.5:1 or better', () => {
    for (const colour of palette) expect(contrastRatio(colour, readableTextOn(colour))).toBeGreaterThanOrEqual(4.5);
    expect(readableTextOn('#0b6e4f')).toBe('#ffffff');
    expect(readableTextOn('#fde047')).toBe('#000000');
  });

  it('darkens a light accent until links read at 4.5:1 on white, and keeps one that already does', () => {
    for (const colour of palette) expect(contrastRatio(readableAccent(colour), '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(readableAccent('#c2410c')).toBe('#c2410c');
    expect(readableAccent('#facc15')).not.toBe('#facc15');
  });

  it('serves the portal stylesheet with readable colours', () => {
    const css = brandStylesheet({ primaryColor: '#fde047', accentColor: '#7dd3fc' });
    expect(css).toContain('--primary-text:#000000');
    expect(css).not.toContain('#7dd3fc');
    expect(brandStylesheet({ primaryColor: null, accentColor: null })).toContain(`--brand-accent:${BRAND_DEFAULT_COLORS.accentColor}`);
  });

  it('warns the host in words when its colours fail contrast, and says nothing for the defaults', () => {
    expect(brandContrastWarnings(BRAND_DEFAULT_COLORS.primaryColor, BRAND_DEFAULT_COLORS.accentColor)).toEqual([]);
    const warnings = brandContrastWarnings('#f0f0f0', '#7dd3fc');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/accent colour #7dd3fc has a contrast of 1\.\d:1 on white/);
    expect(warnings[1]).toMatch(/primary colour #f0f0f0 .* below 3:1/);
  });
});
