import { describe, expect, it } from 'vitest';
import { BRAND_DEFAULT_COLORS, brandPalette, brandStylesheet, readableTextOn } from '../../src/hosts/palette';

describe('brand palette (one helper, one default)', () => {
  it('a host without colours gets the one default palette, wherever it is rendered', () => {
    const palette = brandPalette({ primaryColor: null, accentColor: null });
    expect(palette).toEqual({ ...BRAND_DEFAULT_COLORS, onPrimaryColor: '#ffffff' });
    expect(brandStylesheet({ primaryColor: null, accentColor: null })).toContain(`--brand-accent:${BRAND_DEFAULT_COLORS.accentColor}`);
  });

  it('uses a host colour only when it is exactly #rrggbb, so a bad row never injects CSS', () => {
    expect(brandPalette({ primaryColor: '#FFEE00', accentColor: 'red;}body{x:y' })).toEqual({
      primaryColor: '#ffee00',
      accentColor: BRAND_DEFAULT_COLORS.accentColor,
      onPrimaryColor: '#000000',
    });
    expect(brandStylesheet({ primaryColor: '#000000', accentColor: '#12345' })).not.toContain('#12345;');
    expect(readableTextOn('#1f2937')).toBe('#ffffff');
  });
});
