// S14 bad input: capacity, message type and size, forged/stale/foreign tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, revokeToken, MAX_MESSAGE_BYTES, Receiver, Sender } from '../pkg/index.js';
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
  assert.equal(rx.len, 0);
  // Buffer (a Uint8Array subclass) and empty messages are fine.
  tx.trySend(Buffer.from('buf'));
  tx.trySend('');
  tx.trySend(new Uint8Array(0));
  assert.deepEqual(rx.tryRecv(), new Uint8Array(Buffer.from('buf')));
  assert.equal(rx.tryRecv(), '');
  assert.deepEqual(rx.tryRecv(), new Uint8Array(0));
  tx.dispose();
  rx.dispose();
});

test('s14_bad_input: a message over MAX_MESSAGE_BYTES is a RangeError, not truncated', () => {
  const [tx, rx] = channel(1);
  const big = new Uint8Array(MAX_MESSAGE_BYTES + 1);
  const e = errorOf(() => tx.trySend(big));
  assert.ok(e instanceof RangeError);
  assert.equal(e.code, 'INVALID');
  assert.equal(e.message, 'message of 67108865 bytes is over the limit of 67108864');
  assert.equal(rx.len, 0);
  tx.dispose();
  rx.dispose();
});

test('s14_bad_input: forged, malformed, stale and wrong-kind tokens are INVALID', () => {
  const [tx, rx] = channel(1);
  const good = tx.share();
  const [prefix, kind, domain, id, tag] = good.split(':');
  assert.equal(prefix, 'funnelq');
  const flip = (h) => h.slice(0, -1) + (h.at(-1) === '0' ? '1' : '0');
  const cases = {
    empty: '',
    malformed: 'hello',
    'forged tag': [prefix, kind, domain, id, flip(tag)].join(':'),
    'unknown id': [prefix, kind, domain, '999999', tag].join(':'),
    'other memory': [prefix, kind, flip(domain), id, tag].join(':'),
    'kind letter changed': [prefix, 'r', domain, id, tag].join(':'),
  };
  for (const [what, token] of Object.entries(cases)) {
    const e = errorOf(() => (what === 'kind letter changed' ? Receiver : Sender).fromToken(token));
    assert.ok(e, what);
    assert.equal(e.constructor, Error, what);
    assert.equal(e.code, 'INVALID', what);
  }
  // A token that is not a string is a TypeError.
  for (const t of [12345, null, undefined, {}]) {
    const e = errorOf(() => Sender.fromToken(t));
    assert.ok(e instanceof TypeError);
    assert.equal(e.code, 'INVALID');
    assert.ok(errorOf(() => revokeToken(t)) instanceof TypeError);
  }
  assert.match(errorOf(() => Sender.fromToken(cases['other memory'])).message, /not issued here/);
  assert.match(errorOf(() => Sender.fromToken(cases['unknown id'])).message, /already redeemed or revoked/);
  assert.match(errorOf(() => Receiver.fromToken(good)).message, /for a sender, not a receiver/);
  // The real token still works once, then is stale.
  Sender.fromToken(good).dispose();
  assert.equal(errorOf(() => Sender.fromToken(good)).code, 'INVALID');
  // revokeToken discards an unredeemed token.
  const t = tx.share();
  assert.equal(revokeToken(t), true);
  assert.equal(revokeToken(t), false);
  assert.equal(revokeToken('hello'), false);
  assert.equal(errorOf(() => Sender.fromToken(t)).code, 'INVALID');
  // Disposed handles: a plain Error with INVALID, never a crash.
  const t3 = tx.clone();
  t3.dispose();
  t3.dispose(); // idempotent
  for (const f of [() => t3.trySend('x'), () => t3.len, () => t3.closed, () => t3.share(), () => t3.clone()]) {
    const e = errorOf(f);
    assert.equal(e.constructor, Error);
    assert.equal(e.code, 'INVALID');
    assert.match(e.message, /disposed/);
  }
  tx.dispose();
  rx.dispose();
  assert.equal(errorOf(() => rx.tryRecv()).code, 'INVALID');
});

test('s14_bad_input: a token from another module instance (another memory) is INVALID', async () => {
  // A second copy of the glue module = a second instance on its own memory.
  const other = await import('../pkg/funnelq_wasm.js?second-instance');
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(new URL('../pkg/funnelq_wasm_bg.wasm', import.meta.url));
  other.initSync({ module: new WebAssembly.Module(bytes) });
  const [otx, orx] = other.channel(1);
  const foreign = otx.share();
  const e = errorOf(() => Sender.fromToken(foreign));
  assert.equal(e.code, 'INVALID');
  assert.match(e.message, /not issued here/);
  assert.equal(other.revokeToken(foreign), true);
  otx.dispose();
  orx.dispose();
});
