import { describe, expect, it } from 'vitest';
import { parseVars, type Bindings } from '../../src/env';

const env = (vars: Partial<Record<'APP_HOST' | 'ENVIRONMENT' | 'SESSION_SECRET', string>>) =>
  ({ APP_HOST: 'app.example', ENVIRONMENT: 'test', SESSION_SECRET: 's'.repeat(40), ...vars }) as unknown as Bindings;

describe('parseVars (parsed once per configuration)', () => {
  it('answers the same configuration with the same result, and a changed one anew', () => {
    const first = parseVars(env({}));
    expect(parseVars(env({}))).toBe(first);
    expect(parseVars(env({ APP_HOST: 'other.example' })).APP_HOST).toBe('other.example');
    expect(parseVars(env({})).APP_HOST).toBe('app.example');
  });

  it('still refuses a bad configuration after a good one was remembered', () => {
    parseVars(env({}));
    expect(() => parseVars(env({ SESSION_SECRET: 'short' }))).toThrow(/at least 32/);
    expect(() => parseVars(env({ ENVIRONMENT: 'production', SESSION_SECRET: `dev-only-${'x'.repeat(32)}` }))).toThrow(/development value/);
    expect(() => parseVars(env({ ENVIRONMENT: 'production', SESSION_SECRET: `dev-only-${'x'.repeat(32)}` }))).toThrow(/development value/);
  });
});
