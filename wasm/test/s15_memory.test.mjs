// S15 bounded memory: messages are freed exactly once; long runs do not grow memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, pendingTokens } from '../pkg/index.js';
import { shared, spawn } from './harness.mjs';

const bytes = () => shared.memory.buffer.byteLength;

function mainThreadRound() {
  // 100k messages through one channel, strings and bytes, plus channels dropped
  // with messages still queued (S13: released with the receiver).
  const [tx, rx] = channel(128);
  for (let i = 0; i < 100_000; i += 100) {
    for (let j = 0; j < 100; j++) tx.trySend(j % 2 ? `message ${i + j}` : new Uint8Array(64));
    assert.equal(rx.tryRecvBatch(100).length, 100);
  }
  tx.dispose();
  rx.dispose();
  for (let i = 0; i < 50; i++) {
    const [t, r] = channel(64);
    for (let j = 0; j < 64; j++) t.trySend(new Uint8Array(4096));
    t.dispose();
    r.dispose();
  }
}

test('s15_bounded_memory: 100k messages and dropped full channels, memory unchanged', () => {
  mainThreadRound();
  const before = bytes();
  for (let i = 0; i < 5; i++) mainThreadRound();
  assert.equal(bytes(), before, 'no growth over 500k messages and 250 dropped channels');
});

async function workerRound(n) {
  const [tx, rx] = channel(32);
  const ps = [0, 1].map((p) => spawn('produce', { token: tx.share(), producer: p, n, bytes: true }));
  tx.dispose();
  let got = 0;
  for (;;) {
    try {
      got += (await rx.recvBatch(64)).length;
    } catch (e) {
      assert.equal(e.code, 'CLOSED');
      break;
    }
  }
  await Promise.all(ps.map((w) => w.done));
  rx.dispose();
  assert.equal(got, 2 * n);
}

test('s15_bounded_memory: worker rounds of 100k messages do not grow memory beyond stack placement', async () => {
  for (let i = 0; i < 3; i++) await workerRound(50_000);
  const before = bytes();
  for (let i = 0; i < 3; i++) await workerRound(50_000);
  // Leaked messages would cost >= 2.4 MB per round (>= 7 MB here); worker stacks
  // (1 MiB each, allocated at worker start) may land above a fragment once or twice.
  const grown = bytes() - before;
  assert.ok(grown <= 4 * 1048576, `memory grew by ${grown} bytes over 3 rounds of 100k messages`);
  assert.equal(pendingTokens(), 0);
});
