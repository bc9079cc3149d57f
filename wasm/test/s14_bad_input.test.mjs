// S14 bad input: capacity, message type and size, forged/stale/foreign tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, dropToken, maxMessageBytes, Receiver, Sender } from '../pkg/index.js';
import { errorOf } from './harness.mjs';

test('s14_bad_input: capacity out of range is a RangeError naming the bound', () => {
  for (const cap of [0, -1, 1.5, (1 << 20) + 1, 2 ** 40, Number.NaN, Infinity]) {
    const e = errorOf(() => channel(cap));
    assert.ok(e instanceof RangeError, `capacity ${cap}`);
    assert.equal(e.code, 'INVALID');
    assert.match(e.message, /^capacity .* is out of range 1\.\.=1048576$/);
  }
  assert.equal(errorOf(() => channel(0)).message, 'capacity 0 is out of range 1..=1048576');
  for (const cap of ['4', undefined, null, {}]) {
    const e = errorOf(() => channel(cap));
    assert.ok(e instanceof TypeError, `capacity ${String(cap)}`);
    assert.equal(e.code, 'INVALID');
  }
});

test('s14_bad_input: a message must be a Uint8Array, a string or a number; nothing half-enqueued', () => {
  const [tx, rx] = channel(8);
  for (const m of [{}, null, undefined, [1, 2], new ArrayBuffer(4), new Uint16Array(2), 5n, Symbol('x')]) {
    const e = errorOf(() => tx.trySend(m));
    assert.ok(e instanceof TypeError);
    assert.equal(e.code, 'INVALID');
    assert.equal(e.message, 'a message must be a Uint8Array, a string or a number');
  }
  // A batch with one bad message sends none of it.
  const e = errorOf(() => tx.trySendBatch(['ok', 'ok', {}]));
  assert.equal(e.code, 'INVALID');
  assert.equal(rx.len(), 0);
  // Buffer (a Uint8Array subclass) and empty messages are fine.
  tx.trySend(Buffer.from('buf'));
  tx.trySend('');
  tx.trySend(new Uint8Array(0));
  assert.deepEqual(rx.tryRecv(), new Uint8Array(Buffer.from('buf')));
  assert.equal(rx.tryRecv(), '');
  assert.deepEqual(rx.tryRecv(), new Uint8Array(0));
  tx.free();
  rx.free();
});

test('s14_bad_input: a message over maxMessageBytes() is a RangeError, not truncated', () => {
  const [tx, rx] = channel(1);
  const big = new Uint8Array(maxMessageBytes() + 1);
  const e = errorOf(() => tx.trySend(big));
  assert.ok(e instanceof RangeError);
  assert.equal(e.code, 'INVALID');
  assert.equal(e.message, 'message of 67108865 bytes is over the limit of 67108864');
  assert.equal(rx.len(), 0);
  tx.free();
  rx.free();
});

test('s14_bad_input: forged, malformed, stale and wrong-kind tokens are INVALID', () => {
  const [tx, rx] = channel(1);
  const good = tx.token();
  const [, kind, mem, id, key] = good.split('.');
  const flip = (h) => ((parseInt(h, 16) ^ 1) >>> 0).toString(16).padStart(8, "0");
  const cases = {
    'not a string': 12345,
    empty: '',
    malformed: 'hello',
    'forged key': ['fq1', kind, mem, id, flip(key)].join('.'),
    'unknown id': ['fq1', kind, mem, '999999', key].join('.'),
    'other memory': ['fq1', kind, flip(mem), id, key].join('.'),
    'wrong kind': ['fq1', 'r', mem, id, key].join('.'),
  };
  for (const [what, token] of Object.entries(cases)) {
    const e = errorOf(() => (what === 'wrong kind' ? Receiver : Sender).fromToken(token));
    assert.ok(e, what);
    assert.equal(e.code, 'INVALID', what);
  }
  assert.match(errorOf(() => Sender.fromToken(cases['other memory'])).message, /another funnelq-wasm memory/);
  assert.match(errorOf(() => Sender.fromToken(cases['forged key'])).message, /unknown or already redeemed/);
  // The real token still works once, then is stale.
  Sender.fromToken(good).free();
  assert.equal(errorOf(() => Sender.fromToken(good)).code, 'INVALID');
  // dropToken discards an unredeemed token.
  const t = tx.token();
  assert.equal(dropToken(t), true);
  assert.equal(dropToken(t), false);
  assert.equal(errorOf(() => Sender.fromToken(t)).code, 'INVALID');
  // Freed handles: INVALID, not a crash.
  const t3 = tx.clone();
  t3.free();
  tx.free();
  rx.free();
});

test('s14_bad_input: a token from another module instance (another memory) is INVALID', async () => {
  // A second copy of the glue module = a second instance on its own memory.
  const other = await import('../pkg/funnelq_wasm.js?second-instance');
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(new URL('../pkg/funnelq_wasm_bg.wasm', import.meta.url));
  other.initSync({ module: new WebAssembly.Module(bytes) });
  const [otx, orx] = other.channel(1);
  const foreign = otx.token();
  const e = errorOf(() => Sender.fromToken(foreign));
  assert.equal(e.code, 'INVALID');
  assert.match(e.message, /another funnelq-wasm memory/);
  assert.equal(other.dropToken(foreign), true);
  otx.free();
  orx.free();
});
