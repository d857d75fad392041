import { SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('serves the sign-in page', async () => {
  const res = await SELF.fetch('https://hashyard.test/login');
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('Sign in');
});
