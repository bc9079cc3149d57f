// The Promise forms' `{ signal }`: an AbortSignal cancels the wait and loses nothing
// (S16); bad options are TypeErrors (S14). Run on a thread that may not block, as a
// browser main thread (the Promise forms are what it has).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { channel, setCanBlockForTesting } from '../pkg/index.js';
import { codeOf, run, sleep, SLACK_MS } from './harness.mjs';

before(() => setCanBlockForTesting(false));
after(() => setCanBlockForTesting(true));

/** `p` must reject with an AbortError as the web platform makes it; returns it. */
async function rejectsAborted(p, signal) {
  const e = await p.then(
    () => assert.fail('resolved; expected an AbortError'),
    (err) => err,
  );
  assert.equal(e.code, 'ABORT_ERR', e.message);
  assert.equal(e.name, 'AbortError');
  assert.equal(e.cause, signal.reason);
  return e;
}

test('s16_cancellation: aborting a pending recv() takes no message; a later one is received', async () => {
  const [tx, rx] = channel(2);
  const ac = new AbortController();
  const pending = rx.recv({ signal: ac.signal });
  await sleep(20);
  ac.abort();
  await rejectsAborted(pending, ac.signal);
  await run('sendOne', { token: tx.share(), msg: 'after' }); // from a worker
  assert.equal(await rx.recv({ timeout: SLACK_MS }), 'after');
  const ac2 = new AbortController();
  const batch = rx.recvBatch(4, { signal: ac2.signal, timeout: 5000 });
  ac2.abort(new Error('shutting down'));
  const e = await rejectsAborted(batch, ac2.signal);
  assert.equal(e.cause.message, 'shutting down');
  rx.dispose();
});

test('s16_cancellation: aborting a send() waiting on a full channel enqueues nothing', async () => {
  const [tx, rx] = channel(1);
  tx.trySend('full');
  const ac = new AbortController();
  const pending = tx.send('never', { signal: ac.signal });
  await sleep(20);
  ac.abort();
  await rejectsAborted(pending, ac.signal);
  assert.equal(rx.len, 1);
  assert.equal(rx.tryRecv(), 'full');
  await sleep(20);
  assert.equal(rx.tryRecv(), undefined, 'the aborted message never arrives');
  tx.dispose();
  rx.dispose();
});

test('s16_cancellation: an already-aborted signal rejects at once; nothing enqueued or taken', async () => {
  const [tx, rx] = channel(4);
  const signal = AbortSignal.abort();
  await rejectsAborted(tx.send('no', { signal }), signal);
  assert.equal(rx.len, 0); // even with room
  tx.trySend('kept');
  await rejectsAborted(rx.recv({ signal }), signal);
  await rejectsAborted(rx.recvBatch(4, { signal }), signal);
  assert.equal(rx.tryRecv(), 'kept');
  tx.dispose();
  rx.dispose();
});

test('s16_cancellation: AbortSignal.timeout() bounds a recv() from both sides', async () => {
  const [tx, rx] = channel(1);
  // Node unrefs AbortSignal.timeout's timer and Atomics.waitAsync holds no ref either:
  // this timer keeps the test's event loop alive meanwhile (a page needs nothing).
  const keepAlive = setTimeout(() => {}, 10_000);
  const signal = AbortSignal.timeout(80);
  const t0 = performance.now();
  const e = await rejectsAborted(rx.recv({ signal }), signal);
  const ms = performance.now() - t0;
  assert.equal(e.cause.name, 'TimeoutError');
  assert.ok(ms >= 75, `aborted after ${ms} ms, before the signal's 80 ms`);
  assert.ok(ms < 80 + SLACK_MS, `aborted only after ${ms} ms`);
  // { timeout } rejects with TIMEOUT.
  await assert.rejects(rx.recv({ timeout: 30 }), { code: 'TIMEOUT' });
  clearTimeout(keepAlive);
  tx.dispose();
  rx.dispose();
});

test('s16_cancellation: completed calls leave no listener on a long-lived signal', async () => {
  const [tx, rx] = channel(4);
  const ac = new AbortController();
  for (let i = 0; i < 100; i++) {
    const got = rx.recv({ signal: ac.signal });
    await tx.send(`m${i}`, { signal: ac.signal });
    assert.equal(await got, `m${i}`);
  }
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  ac.abort();
  tx.trySend('still open');
  assert.equal(await rx.recv(), 'still open');
  tx.dispose();
  rx.dispose();
});

test('s16_cancellation: send() calls aborted at random moments are delivered exactly when they resolved', async () => {
  const [tx, rx] = channel(2);
  const N = 300;
  const settle = (p) => p.then(() => true, (e) => (assert.equal(e.code, 'ABORT_ERR'), false));
  const sends = [];
  for (let i = 0; i < N; i++) {
    const ac = new AbortController();
    sends.push(settle(tx.send(`${i}`, { signal: ac.signal })));
    if (i % 3 !== 0) setTimeout(() => ac.abort(), i % 5);
  }
  const got = [];
  const consumer = (async () => {
    while (got.length < N) {
      let m;
      try {
        m = await rx.recv({ timeout: 300 }); // a quiet spell ends it: every send settled by then
      } catch (e) {
        assert.equal(e.code, 'TIMEOUT');
        break;
      }
      got.push(Number(m));
      if (got.length % 16 === 0) await sleep(1);
    }
  })();
  const ok = await Promise.all(sends);
  await consumer;
  const delivered = ok.flatMap((sent, i) => (sent ? [i] : []));
  assert.ok(delivered.length > 0 && delivered.length < N, `${delivered.length} of ${N} delivered`);
  assert.deepEqual(
    got.sort((a, b) => a - b),
    delivered,
  );
  tx.dispose();
  rx.dispose();
});

test('s14_bad_input: Promise-form options of the wrong type throw TypeErrors (INVALID)', () => {
  const [tx, rx] = channel(1);
  // As in the Node package: a bad argument throws at the call; outcomes reject.
  for (const o of [10, '10', true, { timeout: '10' }, { signal: {} }, { signal: null }, { signal: 1 }, () => 1]) {
    for (const f of [() => rx.recv(o), () => rx.recvBatch(1, o), () => tx.send('x', o)]) {
      let e = null;
      try {
        f();
      } catch (err) {
        e = err;
      }
      assert.ok(e, `accepted ${String(o)}`);
      assert.equal(e.code, 'INVALID');
      assert.ok(e instanceof TypeError, `${e.constructor.name}: ${e.message}`);
    }
  }
  assert.equal(rx.len, 0);
  assert.equal(codeOf(() => rx.recv({ timeout: -1 })), 'INVALID');
  tx.dispose();
  rx.dispose();
});

test('s16_cancellation: undefined and null options mean none', async () => {
  const [tx, rx] = channel(1);
  await tx.send('a', { timeout: null, signal: undefined });
  assert.equal(await rx.recv(null), 'a');
  tx.dispose();
  rx.dispose();
});
