import { describe, expect, it } from 'vitest';
import { desiredPoolOf } from '../../src/live/desired-pool';

const none = { redirectUrl: null, redirectUser: null, ownerPoolUrl: null, ownerPoolUser: null };

describe('desiredPoolOf', () => {
  it('points a redirected customer’s miner at the holding pool, even when the owner has a pool on record', () => {
    expect(desiredPoolOf({ ...none, redirectUrl: 'stratum+tcp://hold:3333', redirectUser: 'host.hold', ownerPoolUrl: 'stratum+tcp://own:3333' })).toEqual({
      url: 'stratum+tcp://hold:3333',
      user: 'host.hold',
      password: 'x',
    });
  });

  it('otherwise the owner’s pool on record, and nothing when neither is known', () => {
    expect(desiredPoolOf({ ...none, ownerPoolUrl: 'stratum+tcp://own:3333' })).toEqual({ url: 'stratum+tcp://own:3333', user: '', password: 'x' });
    expect(desiredPoolOf(none)).toBeNull();
  });
});
