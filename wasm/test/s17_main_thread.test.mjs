// S17 interrupt: on a thread that may not block (a browser window's main thread,
// played here with setCanBlockForTesting(false)), the blocking forms refuse with
// MAIN_THREAD before waiting, and the async forms work. Plus BUSY for a second receive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canBlock, channel, setCanBlockForTesting } from '../pkg/index.js';
import { codeOf, errorOf, run, sleep, spawn } from './harness.mjs';

test('s17_interrupt: blocking forms refuse on a main thread, async forms work', async () => {
  assert.equal(canBlock(), true, 'Node main thread may block');
  assert.deepEqual(await run('probe'), { canBlock: true }, 'workers may block');
  setCanBlockForTesting(false);
  try {
    const [tx, rx] = channel(2);
    const e = errorOf(() => rx.recv());
    assert.equal(e.code, 'MAIN_THREAD');
    assert.match(e.message, /recv\(\) would block .* use await recvAsync\(\)/);
    assert.equal(codeOf(() => rx.recv(10)), 'MAIN_THREAD');
    assert.equal(codeOf(() => rx.recvBatch(4)), 'MAIN_THREAD');
    assert.equal(codeOf(() => tx.send('x')), 'MAIN_THREAD');
    assert.equal(codeOf(() => tx.sendBatch(['x'])), 'MAIN_THREAD');
    assert.equal(rx.len(), 0, 'a refused send enqueued nothing');
    // Non-waiting forms are fine.
    tx.trySend('a');
    assert.equal(rx.tryRecv(), 'a');
    // Async forms: a worker feeds the main thread; backpressure via sendAsync.
    const w = spawn('produce', { token: tx.token(), producer: 0, n: 2000 });
    for (let i = 0; i < 2000; i++) assert.equal(await rx.recvAsync(), `0:${i}`);
    await w.done;
    tx.trySend('1');
    tx.trySend('2');
    let sent = false;
    const p = tx.sendAsync('3').then(() => {
      sent = true;
    });
    await sleep(50);
    assert.equal(sent, false, 'sendAsync waits while full');
    assert.equal(rx.tryRecv(), '1');
    await p;
    assert.equal(sent, true);
    assert.deepEqual(await rx.recvBatchAsync(8), ['2', '3']);
    tx.free();
    await assert.rejects(rx.recvAsync(), { code: 'CLOSED' });
    rx.free();
  } finally {
    setCanBlockForTesting(true);
  }
});

test('s17_interrupt: for await iterates until end-of-stream', async () => {
  const [tx, rx] = channel(4);
  const w = spawn('produce', { token: tx.token(), producer: 0, n: 300 });
  tx.free();
  let n = 0;
  for await (const m of rx) {
    assert.equal(m, `0:${n}`);
    n++;
  }
  assert.equal(n, 300);
  await w.done;
  rx.free();
});

test('s14_busy: a second receive while recvAsync is pending is BUSY, then it works', async () => {
  const [tx, rx] = channel(2);
  const p = rx.recvAsync();
  assert.equal(codeOf(() => rx.tryRecv()), 'BUSY');
  assert.equal(rx.len(), 0, 'len() still works while a receive is pending');
  await assert.rejects(rx.recvAsync(), { code: 'BUSY' });
  tx.trySend('one');
  assert.equal(await p, 'one');
  tx.trySend('two');
  assert.equal(rx.tryRecv(), 'two');
  tx.free();
  rx.free();
});
