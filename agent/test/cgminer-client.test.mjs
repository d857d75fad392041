// The TCP client against small hand-made servers on 127.40.0.x.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { query, queryV3, escapeParam } from '../lib/cgminer-client.mjs';
import { TransportError } from '../lib/errors.mjs';

/** @type {net.Server[]} */
const servers = [];
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined))))));

/**
 * @param {string} host
 * @param {(socket: net.Socket, request: string) => void} onRequest
 */
async function serve(host, onRequest) {
  const s = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (d) => onRequest(socket, d.toString()));
  });
  await new Promise((r) => s.listen(4028, host, () => r(undefined)));
  servers.push(s);
  return s;
}

test('sends the JSON command and reads until NUL', async () => {
  /** @type {string[]} */
  const seen = [];
  await serve('127.40.0.1', (sock, req) => {
    seen.push(req);
    // NUL then junk: the reply ends at the NUL even though the socket stays open
    sock.write('{"STATUS":[{"STATUS":"S"}],"id":1}\u0000trailing');
  });
  const reply = await query('127.40.0.1', 'addpool', { parameter: 'stratum+tcp://a:1,u,p' });
  assert.equal(reply, '{"STATUS":[{"STATUS":"S"}],"id":1}');
  assert.deepEqual(JSON.parse(/** @type {string} */ (seen[0])), { command: 'addpool', parameter: 'stratum+tcp://a:1,u,p' });
});

test('reads until close when there is no NUL, across several chunks', async () => {
  await serve('127.40.0.2', (sock) => {
    sock.write('{"STATUS":[{"STATUS":"S"}],');
    setTimeout(() => sock.end('"id":1}'), 20);
  });
  assert.equal(await query('127.40.0.2', 'summary'), '{"STATUS":[{"STATUS":"S"}],"id":1}');
});

test('connection refused is a connect-phase TransportError', async () => {
  await assert.rejects(query('127.40.0.3', 'summary', { connectTimeoutMs: 500 }), (err) => {
    assert.ok(err instanceof TransportError);
    assert.equal(err.phase, 'connect');
    assert.equal(err.reason, 'ECONNREFUSED');
    return true;
  });
});

test('a miner that accepts but never answers hits the read timeout', async () => {
  await serve('127.40.0.4', () => {});
  const t = Date.now();
  await assert.rejects(query('127.40.0.4', 'summary', { readTimeoutMs: 150 }), (err) => {
    assert.ok(err instanceof TransportError);
    assert.equal(err.phase, 'read');
    assert.equal(err.reason, 'timeout');
    return true;
  });
  assert.ok(Date.now() - t < 2000);
});

test('a trickling reply is cut off by the total read deadline', async () => {
  await serve('127.40.0.5', (sock) => {
    const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write(' ')), 20);
    sock.on('close', () => clearInterval(t));
  });
  await assert.rejects(query('127.40.0.5', 'summary', { readTimeoutMs: 200 }), /no complete reply within 200 ms/);
});

test('oversized replies are refused', async () => {
  await serve('127.40.0.6', (sock) => sock.end(Buffer.alloc(5000, 0x41)));
  await assert.rejects(query('127.40.0.6', 'stats', { maxBytes: 1000 }), (err) => err instanceof TransportError && err.reason === 'too_large');
});

test('a connection closed without a byte is an error, not an empty reply', async () => {
  await serve('127.40.0.7', (sock) => sock.end());
  await assert.rejects(query('127.40.0.7', 'summary'), (err) => err instanceof TransportError && err.reason === 'closed_empty');
});

test('escapeParam escapes commas and backslashes for addpool', () => {
  assert.equal(escapeParam('a,b\\c'), 'a\\,b\\\\c');
});

test('Whatsminer API v3: a length-prefixed request, a reply read to its announced length across chunks', async () => {
  /** @type {Buffer[]} */
  const seen = [];
  const s = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (d) => {
      seen.push(d);
      const body = Buffer.from('{"code":0,"desc":"get.miner.status","msg":{"summary":{}}}');
      const head = Buffer.alloc(4);
      head.writeUInt32LE(body.length, 0);
      const all = Buffer.concat([head, body]);
      // split inside the length prefix and inside the body; the socket stays open afterwards
      socket.write(all.subarray(0, 2));
      setTimeout(() => socket.write(all.subarray(2, 20)), 10);
      setTimeout(() => socket.write(all.subarray(20)), 20);
    });
  });
  await new Promise((r) => s.listen(14433, '127.40.0.20', () => r(undefined)));
  servers.push(s);
  const reply = await queryV3('127.40.0.20', 'get.miner.status', 'summary', { port: 14433 });
  assert.equal(reply, '{"code":0,"desc":"get.miner.status","msg":{"summary":{}}}');
  const req = /** @type {Buffer} */ (seen[0]);
  assert.equal(req.readUInt32LE(0), req.length - 4);
  assert.deepEqual(JSON.parse(req.subarray(4).toString()), { cmd: 'get.miner.status', param: 'summary' });
});

test('Whatsminer API v3: a reply cut short, an oversize length and a refused port are transport errors', async () => {
  const s = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (d) => {
      const { param } = JSON.parse(d.subarray(4).toString());
      const head = Buffer.alloc(4);
      head.writeUInt32LE(param === 'huge' ? 64 * 1024 * 1024 : 100, 0);
      socket.end(Buffer.concat([head, Buffer.from('{"code":0')]));
    });
  });
  await new Promise((r) => s.listen(14433, '127.40.0.21', () => r(undefined)));
  servers.push(s);
  await assert.rejects(queryV3('127.40.0.21', 'get.miner.status', 'pools', { port: 14433 }), (e) => e instanceof TransportError && e.reason === 'truncated');
  await assert.rejects(queryV3('127.40.0.21', 'get.miner.status', 'huge', { port: 14433 }), (e) => e instanceof TransportError && e.reason === 'too_large');
  await assert.rejects(queryV3('127.40.0.22', 'get.device.info', undefined, { port: 14433 }), (e) => e instanceof TransportError && e.phase === 'connect');
});
