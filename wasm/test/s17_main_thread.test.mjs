// S17 interrupt: on a thread that may not block (a browser window's main thread,
// played here with setCanBlockForTesting(false)), the blocking forms refuse with
// MAIN_THREAD before waiting, and the Promise forms work. Plus BUSY for a second receive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canBlock, channel, setCanBlockForTesting } from '../pkg/index.js';
import { codeOf, errorOf, run, sleep, spawn } from './harness.mjs';

test('s17_interrupt: blocking forms refuse on a main thread, Promise forms work', async () => {
  assert.equal(canBlock(), true, 'Node main thread may block');
  assert.deepEqual(await run('probe'), { canBlock: true }, 'workers may block');
  setCanBlockForTesting(false);
  try {
    const [tx, rx] = channel(2);
    const e = errorOf(() => rx.recvSync());
    assert.equal(e.code, 'MAIN_THREAD');
    assert.match(e.message, /recvSync\(\) would block .* use await recv\(\)/);
    assert.equal(codeOf(() => rx.recvSync({ timeout: 10 })), 'MAIN_THREAD');
    assert.equal(codeOf(() => rx.recvBatchSync(4)), 'MAIN_THREAD');
    assert.equal(codeOf(() => tx.sendSync('x')), 'MAIN_THREAD');
    assert.equal(codeOf(() => tx.sendBatchSync(['x'])), 'MAIN_THREAD');
    assert.equal(rx.len, 0, 'a refused send enqueued nothing');
    // Non-waiting forms are fine.
    tx.trySend('a');
    assert.equal(rx.tryRecv(), 'a');
    // Promise forms: a worker feeds the main thread; backpressure via send().
    const w = spawn('produce', { token: tx.share(), producer: 0, n: 2000 });
    for (let i = 0; i < 2000; i++) assert.equal(await rx.recv(), `0:${i}`);
    await w.done;
    tx.trySend('1');
    tx.trySend('2');
    let sent = false;
    const p = tx.send('3').then(() => {
      sent = true;
    });
    await sleep(50);
    assert.equal(sent, false, 'send() waits while full');
    assert.equal(rx.tryRecv(), '1');
    await p;
    assert.equal(sent, true);
    assert.deepEqual(await rx.recvBatch(8), ['2', '3']);
    tx.dispose();
    await assert.rejects(rx.recv(), { code: 'CLOSED' });
    rx.dispose();
  } finally {
    setCanBlockForTesting(true);
  }
});

test('s17_interrupt: for await iterates until end-of-stream', async () => {
  const [tx, rx] = channel(4);
  const w = spawn('produce', { token: tx.share(), producer: 0, n: 300 });
  tx.dispose();
  let n = 0;
  for await (const m of rx) {
    assert.equal(m, `0:${n}`);
    n++;
  }
  assert.equal(n, 300);
  await w.done;
  rx.dispose();
});

test('s14_busy: a second receive while recv() is pending is BUSY, then it works', async () => {
  const [tx, rx] = channel(2);
  const p = rx.recv();
  assert.equal(codeOf(() => rx.tryRecv()), 'BUSY');
  assert.equal(rx.len, 0, 'len still works while a receive is pending');
  await assert.rejects(rx.recv(), { code: 'BUSY' });
  tx.trySend('one');
  assert.equal(await p, 'one');
  tx.trySend('two');
  assert.equal(rx.tryRecv(), 'two');
  tx.dispose();
  rx.dispose();
});
