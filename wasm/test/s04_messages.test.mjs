// S04 exactly once, message by message: strings (ASCII fast path, non-ASCII, long,
// empty), bytes and numbers come out exactly as they went in, across threads too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from '../pkg/index.js';
import { run } from './harness.mjs';

const samples = [
  '',
  'a',
  'plain ascii 0123456789',
  'x'.repeat(256),
  'y'.repeat(257),
  'z'.repeat(100_000),
  'héllo wörld',
  '日本語のテキスト',
  'emoji 🦀🚀 and a lone surrogate-free string',
  '\u0000nul\u007f',
  new Uint8Array(0),
  new Uint8Array([0, 1, 2, 255]),
  new Uint8Array(70_000).fill(7),
  Buffer.from('a Buffer'),
  0,
  -0,
  1.5,
  -(2 ** 53),
  Number.MAX_VALUE,
  Number.NaN,
  -Infinity,
];

test('s04_exactly_once: every message kind round-trips unchanged (same thread)', () => {
  const [tx, rx] = channel(samples.length);
  for (const m of samples) tx.trySend(m);
  for (const m of samples) {
    const got = rx.tryRecv();
    if (typeof m === 'number') assert.ok(Object.is(got, m), `number ${m}`);
    else if (typeof m === 'string') assert.equal(got, m);
    else {
      assert.ok(got instanceof Uint8Array);
      assert.ok(!(got.buffer instanceof SharedArrayBuffer), 'a fresh, non-shared buffer');
      assert.deepEqual([...got], [...m]);
    }
  }
  tx.dispose();
  rx.dispose();
});

test('s04_exactly_once: strings round-trip through a worker', async () => {
  const [tx, rx] = channel(16);
  const token = rx.share();
  const strings = samples.filter((m) => typeof m === 'string' || typeof m === 'number');
  let back = token;
  for (const m of strings) {
    tx.trySend(m);
    const r = await run('recvOne', { token: back, keep: true });
    assert.ok(Object.is(r.msg, m), `${m}`);
    back = r.back;
  }
  assert.equal((await run('recvOne', { token: back, timeoutMs: 0 })).outcome, 'TIMEOUT');
  tx.dispose();
});
