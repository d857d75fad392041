import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizeAvalon, tokenNumbers, tokenNumber } from '../lib/parse/avalon-tokens.mjs';
import { ParseError } from '../lib/errors.mjs';
import { decodeReply } from '../lib/parse/reply.mjs';
import { fixture } from '../testkit/fixtures.mjs';

test('flat Key[value] pairs, values with spaces, %, colons and --flags', () => {
  const t = tokenizeAvalon('Ver[1246-83-21072802_4ec6bb0_211fc46] SYSTEMSTATU[Work: In Work, Hash Board: 3 ] FanR[72%] ATAOPTS0[--avalon10-freq 376:396:416:436 --avalon10-voltage-level 46 ] FACOPTS0[] PS[0 1214 1316 242 3189 1320 3504]');
  assert.deepEqual(t, {
    Ver: '1246-83-21072802_4ec6bb0_211fc46',
    SYSTEMSTATU: 'Work: In Work, Hash Board: 3 ',
    FanR: '72%',
    ATAOPTS0: '--avalon10-freq 376:396:416:436 --avalon10-voltage-level 46 ',
    FACOPTS0: '',
    PS: '0 1214 1316 242 3189 1320 3504',
  });
  assert.deepEqual(tokenNumbers(t.PS), [0, 1214, 1316, 242, 3189, 1320, 3504]);
  assert.equal(tokenNumber(t.FanR), 72);
  assert.deepEqual(tokenNumbers(t.FACOPTS0), []);
  assert.equal(tokenNumber(t.FACOPTS0), undefined);
  assert.equal(tokenNumbers(undefined), undefined);
});

test("nested 'STATS':{…} groups and keys with spaces (Avalon Q)", () => {
  const t = tokenizeAvalon("'STATS':{Ver[Q-25052801_14a19a2] SSID[] Nonce Mask[25]}");
  assert.deepEqual(t, { STATS: { Ver: 'Q-25052801_14a19a2', SSID: '', 'Nonce Mask': '25' } });
  const hb = tokenizeAvalon("'HB0':{PVT_T0[ 58  59  59] MW0[526 664]}");
  assert.deepEqual(tokenNumbers(/** @type {any} */ (hb.HB0).PVT_T0), [58, 59, 59]);
});

test('every Avalon blob in the fixtures tokenizes', () => {
  for (const [file, key] of [
    ['avalon-1246-cgminer4.11.1-21072802-stats.json', 'MM ID0'],
    ['avalon-1566-cgminer4.11.1-24102401-stats.json', 'MM ID0'],
    ['avalon-q-cgminer4.11.1-25052801-stats.json', 'MM ID0:Summary'],
  ]) {
    const blob = decodeReply(fixture(/** @type {string} */ (file))).STATS[0][/** @type {string} */ (key)];
    const t = tokenizeAvalon(blob);
    assert.ok(Object.keys(t).length > 0, file);
  }
  const stats1566 = tokenizeAvalon(decodeReply(fixture('avalon-1566-cgminer4.11.1-24102401-stats.json')).STATS[0]['MM ID0']);
  assert.equal(stats1566.WALLPOWER, '3731');
  assert.equal(stats1566.ATAOPTS2, '--avalon10-freq 300:318:339:360 --avalon10-voltage-level 1188 --hash-asic 160 --power-level 0');
  assert.equal(tokenNumbers(stats1566.PVT_T0)?.length, 160);
});

test('malformed blobs throw ParseError', () => {
  assert.throws(() => tokenizeAvalon('Fan1[5344'), ParseError);
  assert.throws(() => tokenizeAvalon('Fan1[1] stray'), ParseError);
  assert.throws(() => tokenizeAvalon("'STATS':{Ver[1]"), ParseError);
  assert.throws(() => tokenizeAvalon("'STATS' Ver[1]"), ParseError);
  assert.throws(() => tokenNumbers('12 abc'), ParseError);
  assert.throws(() => tokenNumber('1 2'), ParseError);
});
