// Scenarios S01–S18, S21 and S22 of SEMANTICS.md in a real browser: a cross-origin
// isolated page whose main thread may not block (so it uses the Promise forms, and the
// blocking forms must refuse), and web workers that use the blocking forms. Each test name starts
// with the scenario ids it covers; run.mjs prints one `ok`/`not ok` line per test.
import {
  canBlock,
  channel,
  revokeToken,
  init,
  MAX_BATCH,
  MAX_CAPACITY,
  MAX_MESSAGE_BYTES,
  pendingTokens,
  Receiver,
  releaseWorker,
  Sender,
} from '../pkg/index.js';

const logEl = document.getElementById('log');
const log = (s) => {
  logEl.textContent += s + '\n';
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Timing bounds: never earlier than asked; later by at most this on a busy 2-core box.
const SLACK_MS = 1500;
// A hung test fails alone instead of stalling the whole run.
const TEST_TIMEOUT_MS = 30_000;
// The S21 termination test's own budget (its rounds stop when it is spent).
const S21_BUDGET_MS = 45_000;

let shared;
let live = new Set(); // workers of the running test still running; terminated when it ends

function spawn(task, args = {}) {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  live.add(w);
  const done = new Promise((ok, fail) => {
    w.onmessage = ({ data }) => {
      live.delete(w);
      if (data.ok) ok(data.result);
      else fail(Object.assign(new Error(`worker ${task}: ${data.error.message}`), { code: data.error.code }));
    };
    w.onerror = (e) => {
      live.delete(w);
      fail(new Error(`worker ${task}: ${e.message}`));
    };
  });
  w.postMessage({ shared, task, args });
  return { done };
}
const run = (task, args) => spawn(task, args).done;

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
function eq(got, want, msg) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`assertion failed: ${msg}: got ${g}, want ${w}`);
}
function errorOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}
const codeOf = (fn) => errorOf(fn)?.code ?? 'no error';
async function rejection(p) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return null;
}
/** Polls `cond` every 5 ms until it holds or `ms` pass; returns whether it held. */
async function until(cond, ms = 10_000) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (cond()) return true;
    await sleep(5);
  }
  return cond();
}
const counter = () => new Int32Array(new SharedArrayBuffer(4));
const memBytes = () => shared.memory.buffer.byteLength;
const parse = (m) => m.split(':').map(Number);
const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Receives on this (main) thread with recvBatch until end-of-stream; checks per-producer order. */
async function drainAsync(rx, producers, max) {
  const next = new Array(producers).fill(0);
  let total = 0;
  for (;;) {
    let batch;
    try {
      batch = await rx.recvBatch(max);
    } catch (e) {
      eq(e.code, 'CLOSED', 'end-of-stream');
      break;
    }
    assert(batch.length >= 1 && batch.length <= max, `batch of ${batch.length}`);
    for (const m of batch) {
      const [p, i] = parse(m);
      eq(i, next[p], `producer ${p} order`);
      next[p]++;
      total++;
    }
  }
  return { total, next };
}

/** P producer workers into one channel, the consumer a blocking worker (S03/S04/S11/S18). */
async function workerStress({ producers, n, capacity, bytes = false, batch = 0, max = 256 }) {
  const [tx, rx] = channel(capacity);
  const consumer = spawn('consume', { token: rx.share(), producers, max });
  const ps = [];
  for (let p = 0; p < producers; p++) ps.push(spawn('produce', { token: tx.share(), producer: p, n, bytes, batch }));
  tx.dispose(); // the stream ends when the workers free theirs
  const sent = await Promise.all(ps.map((w) => w.done));
  const got = await consumer.done;
  eq(sent.map((s) => s.sent), new Array(producers).fill(n), 'sent');
  eq(got.errors, 0, 'per-producer sequence errors');
  eq(got.total, producers * n, 'received exactly once');
  eq(got.next, new Array(producers).fill(n), 'last index per producer');
}

const samples = [
  '',
  'a',
  'plain ascii 0123456789',
  'x'.repeat(256),
  'y'.repeat(257),
  'z'.repeat(100_000),
  'héllo wörld',
  '日本語のテキスト',
  'emoji 🦀🚀',
  '\u0000nul\u007f',
  new Uint8Array(0),
  new Uint8Array([0, 1, 2, 255]),
  new Uint8Array(70_000).fill(7),
  new Uint8Array(new ArrayBuffer(16), 4, 8).fill(3), // a view with an offset
];
function sameMessage(got, want) {
  if (typeof want === 'string') return got === want;
  return got instanceof Uint8Array && sameBytes([...got], [...want]);
}

const tests = {
  async s01_capacity() {
    for (const cap of [1, 2, 7, 64]) {
      const [tx, rx] = channel(cap);
      eq([tx.capacity, rx.capacity], [cap, cap], 'capacity()');
      for (let i = 0; i < cap; i++) tx.trySend(`m${i}`);
      eq(tx.len, cap, 'len after C sends');
      eq(tx.trySend('extra'), false, 'C+1-th trySend');
      eq(rx.len, cap, 'FULL enqueued nothing');
      for (let i = 0; i < cap; i++) eq(rx.tryRecv(), `m${i}`, 'content');
      eq(rx.tryRecv(), undefined, 'nothing extra');
      tx.dispose();
      rx.dispose();
    }
    // C sends from a worker's blocking send succeed with no receiver taking any.
    const [tx, rx] = channel(5);
    const r = await run('produce', { token: tx.share(), producer: 0, n: 5 });
    eq(r.sent, 5, 'worker sent C');
    eq(rx.len, 5, 'len');
    eq(tx.trySend('extra'), false, 'then FULL');
    tx.dispose();
    rx.dispose();
    eq(MAX_CAPACITY, 1 << 20, 'MAX_CAPACITY');
    const [bt, br] = channel(MAX_CAPACITY);
    eq(bt.capacity, 1 << 20, 'largest capacity');
    bt.dispose();
    br.dispose();
  },

  async s02_backpressure_one_slot_one_sender() {
    const [tx, rx] = channel(2);
    tx.trySend('a');
    tx.trySend('b');
    const done = counter();
    const started = counter();
    const ws = [0, 1, 2].map((i) =>
      spawn('sendOne', { token: tx.share(), msg: `w${i}`, counter: done.buffer, started: started.buffer }),
    );
    assert(await until(() => Atomics.load(started, 0) === 3), 'workers started');
    await sleep(150);
    eq(Atomics.load(done, 0), 0, 'senders wait while full');
    eq(rx.len, 2, 'len while full');
    for (let freed = 1; freed <= 3; freed++) {
      rx.tryRecv();
      assert(await until(() => Atomics.load(done, 0) >= freed), `sender ${freed} proceeds`);
      await sleep(100);
      eq(Atomics.load(done, 0), freed, 'exactly one sender per freed slot');
      eq(rx.len, 2, 'full again');
    }
    eq((await Promise.all(ws.map((w) => w.done))).map((r) => r.outcome), ['ok', 'ok', 'ok'], 'outcomes');
    const rest = [rx.tryRecv(), rx.tryRecv()];
    assert(rest.every((m) => /^w[0-2]$/.test(m)), `rest ${rest}`);
    eq(rx.tryRecv(), undefined, 'drained');
    tx.dispose();
    rx.dispose();
  },

  async s02_backpressure_capacity_1_main_thread_receiver() {
    const [tx, rx] = channel(1);
    const p = spawn('produce', { token: tx.share(), producer: 0, n: 500 });
    tx.dispose();
    for (let i = 0; i < 500; i++) {
      eq(await rx.recv(), `0:${i}`, 'order');
      assert(rx.len <= 1, `len ${rx.len}`);
    }
    eq((await p.done).sent, 500, 'sent');
    eq((await rejection(rx.recv()))?.code, 'CLOSED', 'end-of-stream');
    rx.dispose();
  },

  async s02_backpressure_main_thread_send_waits() {
    const [tx, rx] = channel(2);
    tx.trySend('1');
    tx.trySend('2');
    let sent = false;
    const p = tx.send('3').then(() => {
      sent = true;
    });
    await sleep(100);
    eq(sent, false, 'send waits while full');
    eq(rx.len, 2, 'nothing extra enqueued');
    const r = await run('recvOne', { token: rx.share(), keep: true }); // a worker frees a slot
    eq(r.msg, '1', 'worker got the first');
    await p;
    eq(sent, true, 'send proceeded');
    const back = Receiver.fromToken(r.back);
    eq(back.tryRecvBatch(8), ['2', '3'], 'FIFO');
    tx.dispose();
    back.dispose();
  },

  async s03_fifo_claim_order_across_senders() {
    // Sends from one thread through three handles are claimed in call order: that is
    // the order they come out in, whichever handle sent them.
    const [tx, rx] = channel(64);
    const handles = [tx, tx.clone(), tx.clone()];
    const want = [];
    for (let i = 0; i < 60; i++) {
      const m = `${i % 3}:${i}`;
      handles[(i * 7) % 3].trySend(m);
      want.push(m);
    }
    eq(rx.tryRecvBatch(64), want, 'claim order');
    for (const h of handles) h.dispose();
    eq(codeOf(() => rx.tryRecv()), 'CLOSED', 'all senders freed');
    rx.dispose();
  },

  async s03_s04_four_workers_main_thread_async_consumer() {
    const P = 4;
    const N = 25_000;
    const [tx, rx] = channel(256);
    const ps = [];
    for (let p = 0; p < P; p++) ps.push(spawn('produce', { token: tx.share(), producer: p, n: N }));
    tx.dispose();
    const t0 = performance.now();
    const got = await drainAsync(rx, P, 256);
    const ms = performance.now() - t0;
    eq((await Promise.all(ps.map((w) => w.done))).map((r) => r.sent), new Array(P).fill(N), 'sent');
    eq(got.total, P * N, 'exactly once');
    eq(got.next, new Array(P).fill(N), 'every sequence complete');
    rx.dispose();
    log(`  ${got.total} messages in ${ms.toFixed(0)} ms`);
  },

  async s03_s04_four_workers_blocking_worker_consumer_bytes() {
    await workerStress({ producers: 4, n: 25_000, capacity: 64, bytes: true });
  },

  async s04_exactly_once_message_kinds() {
    const [tx, rx] = channel(samples.length);
    for (const m of samples) tx.trySend(m);
    for (const m of samples) {
      const got = rx.tryRecv();
      const what = typeof m === 'string' ? JSON.stringify(m.slice(0, 20)) : `${m.length} bytes`;
      assert(sameMessage(got, m), `round-trip of ${what}`);
      if (typeof m !== 'string') assert(!(got.buffer instanceof SharedArrayBuffer), 'a fresh, non-shared buffer');
    }
    eq(rx.tryRecv(), undefined, 'nothing more');
    // The same messages through a worker's blocking recv (one worker per message).
    let back = rx.share();
    for (const m of samples) {
      tx.trySend(m);
      const r = await run('recvOne', { token: back, keep: true });
      eq(r.outcome, 'ok', 'worker recv');
      assert(sameMessage(r.msg, m), 'round-trip through a worker');
      back = r.back;
    }
    eq((await run('recvOne', { token: back, timeoutMs: 0 })).outcome, 'TIMEOUT', 'each received once');
    tx.dispose();
  },

  async s05_close_drains() {
    const [tx, rx] = channel(8);
    for (const m of ['a', 'b', 'c']) tx.trySend(m);
    eq(tx.close(), true, 'first close');
    eq(tx.close(), false, 'idempotent');
    eq(rx.close(), false, 'idempotent from the receiver');
    eq(rx.closed, true, 'closed');
    eq(rx.tryRecv(), 'a', 'first');
    eq(await rx.recv(), 'b', 'recv drains');
    eq(await rx.recvBatch(10), ['c'], 'recvBatch drains');
    for (let i = 0; i < 3; i++) eq(codeOf(() => rx.tryRecv()), 'CLOSED', 'end-of-stream stays');
    eq((await rejection(rx.recv()))?.code, 'CLOSED', 'recv end-of-stream');
    // A worker drains a closed channel with the blocking iterator, then sees CLOSED.
    const [tx2, rx2] = channel(4);
    for (const m of ['x', 'y', 'z']) tx2.trySend(m);
    rx2.close();
    const r = await run('iterateSync', { token: rx2.share() });
    eq(r.got, ['x', 'y', 'z'], 'drained in order');
    eq(r.after, 'CLOSED', 'then CLOSED');
    for (const h of [tx, rx, tx2]) h.dispose();
  },

  async s06_close_rejects() {
    const [tx, rx] = channel(4);
    rx.close();
    eq(codeOf(() => tx.trySend('a')), 'CLOSED', 'trySend');
    eq(codeOf(() => tx.trySendBatch(['a', 'b'])), 'CLOSED', 'trySendBatch');
    eq((await rejection(tx.send('a')))?.code, 'CLOSED', 'send');
    eq((await rejection(tx.send('a', { timeout: 100 })))?.code, 'CLOSED', 'send with a timeout');
    const s = await run('sendOne', { token: tx.share(), msg: 'w' });
    eq(s.outcome, 'CLOSED', 'blocking send in a worker');
    const b = await run('sendBatchOne', { token: tx.share(), msgs: ['p', 'q'] });
    eq([b.outcome, b.sent], ['CLOSED', 0], 'blocking sendBatch in a worker');
    eq(rx.len, 0, 'nothing enqueued');
    eq(codeOf(() => rx.tryRecv()), 'CLOSED', 'end-of-stream');
    tx.dispose();
    rx.dispose();
  },

  async s07_close_wakes_blocked_worker_receiver() {
    const [tx, rx] = channel(4);
    const started = counter();
    const w = spawn('recvOne', { token: rx.share(), started: started.buffer });
    assert(await until(() => Atomics.load(started, 0) === 1), 'worker started');
    await sleep(150);
    const t0 = performance.now();
    tx.close();
    const r = await w.done;
    eq(r.outcome, 'CLOSED', 'outcome');
    assert(r.ms >= 100, `waited ${r.ms} ms before the close`);
    assert(performance.now() - t0 < SLACK_MS, 'woke promptly');
    tx.dispose();
  },

  async s07_close_wakes_blocked_worker_senders() {
    const [tx, rx] = channel(1);
    tx.trySend('full');
    const started = counter();
    const ws = [0, 1, 2].map((i) => spawn('sendOne', { token: tx.share(), msg: `w${i}`, started: started.buffer }));
    assert(await until(() => Atomics.load(started, 0) === 3), 'workers started');
    await sleep(150);
    const t0 = performance.now();
    rx.close();
    eq((await Promise.all(ws.map((w) => w.done))).map((r) => r.outcome), ['CLOSED', 'CLOSED', 'CLOSED'], 'outcomes');
    assert(performance.now() - t0 < SLACK_MS, 'woke promptly');
    eq(rx.tryRecv(), 'full', 'the queued message drains');
    eq(codeOf(() => rx.tryRecv()), 'CLOSED', 'nothing of the woken senders');
    tx.dispose();
    rx.dispose();
  },

  async s07_close_wakes_main_thread_async() {
    // A pending recv, closed from this thread.
    const [tx, rx] = channel(2);
    const p = rx.recv();
    await sleep(50);
    eq(rx.close(), true, 'close during a pending recv');
    eq((await rejection(p))?.code, 'CLOSED', 'recv woke');
    eq(codeOf(() => tx.trySend('late')), 'CLOSED', 'closed for senders');
    tx.dispose();
    rx.dispose();
    // A pending recv and a pending send on this thread, closed from workers.
    const [tx2, rx2] = channel(1);
    const [tx3, rx3] = channel(1);
    tx3.trySend('full');
    const pr = rejection(rx2.recv());
    const ps = rejection(tx3.send('blocked'));
    await sleep(50);
    eq((await run('closeFrom', { token: tx2.share(), kind: 'sender' })).closed, true, 'a worker sender closed');
    eq((await pr)?.code, 'CLOSED', 'pending recv woke with CLOSED');
    eq((await run('closeFrom', { token: tx3.share(), kind: 'sender' })).closed, true, 'another worker sender closed');
    eq((await ps)?.code, 'CLOSED', 'pending send woke with CLOSED');
    eq(rx3.tryRecv(), 'full', 'the queued message drains');
    eq(codeOf(() => rx3.tryRecv()), 'CLOSED', 'the woken send enqueued nothing');
    for (const h of [tx2, rx2, tx3, rx3]) h.dispose();
  },

  async s08_close_race() {
    for (let round = 0; round < 3; round++) {
      const [tx, rx] = channel(16);
      const ws = [0, 1, 2, 3].map((p) => spawn('sendUntilClosed', { token: tx.share(), producer: p }));
      tx.dispose();
      const next = [0, 0, 0, 0];
      const take = (m) => {
        const [p, i] = parse(m);
        eq(i, next[p], `producer ${p} order`);
        next[p]++;
      };
      // Receive until every producer has delivered some and a little longer, then
      // close while they are all sending.
      const t0 = performance.now();
      const linger = 50 + round * 50;
      let allSince = Infinity;
      while (performance.now() - allSince < linger) {
        for (const m of await rx.recvBatch(64)) take(m);
        if (allSince === Infinity && next.every((n) => n > 0)) allSince = performance.now();
        assert(performance.now() - t0 < 10_000, `producers never all started: ${next}`);
      }
      rx.close();
      const oks = (await Promise.all(ws.map((w) => w.done))).map((r) => r.ok);
      for (;;) {
        let m;
        try {
          m = rx.tryRecv();
        } catch (e) {
          eq(e.code, 'CLOSED', 'end-of-stream');
          break;
        }
        take(m);
      }
      eq(next, oks, 'each producer: Ok count == delivered count');
      assert(next.every((n) => n > 0), `every producer delivered some: ${next}`);
      rx.dispose();
    }
  },

  async s09_empty_worker_recv_timeout() {
    const [tx, rx] = channel(4);
    eq(rx.tryRecv(), undefined, 'tryRecv');
    eq(rx.tryRecvBatch(4), [], 'tryRecvBatch');
    const r = await run('recvOne', { token: rx.share(), timeoutMs: 200, keep: true });
    eq(r.outcome, 'TIMEOUT', 'recv(200)');
    assert(r.ms >= 200, `timed out after ${r.ms} ms (< 200)`);
    assert(r.ms < 200 + SLACK_MS, `timed out after ${r.ms} ms`);
    tx.trySend('here');
    const r2 = await run('recvOne', { token: r.back, timeoutMs: 5000 });
    eq([r2.outcome, r2.msg], ['ok', 'here'], 'a present message comes at once');
    assert(r2.ms < SLACK_MS, `took ${r2.ms} ms`);
    tx.dispose();
  },

  async s09_empty_main_thread_recv_timeout() {
    const [tx, rx] = channel(2);
    let t0 = performance.now();
    const e = await rejection(rx.recv({ timeout: 150 }));
    let ms = performance.now() - t0;
    eq(e?.code, 'TIMEOUT', 'recv(150)');
    assert(ms >= 150 && ms < 150 + SLACK_MS, `recv timed out after ${ms} ms`);
    t0 = performance.now();
    const eb = await rejection(rx.recvBatch(4, { timeout: 80 }));
    ms = performance.now() - t0;
    eq(eb?.code, 'TIMEOUT', 'recvBatch(4, 80)');
    assert(ms >= 80 && ms < 80 + SLACK_MS, `recvBatch timed out after ${ms} ms`);
    eq(rx.tryRecv(), undefined, 'still open and empty');
    tx.trySend('now');
    eq(await rx.recv({ timeout: 1000 }), 'now', 'receiver usable after a timeout');
    tx.dispose();
    rx.dispose();
  },

  async s10_timeouts_worker_send_timeout() {
    const [tx, rx] = channel(1);
    tx.trySend('full');
    const r = await run('sendOne', { token: tx.share(), msg: 'late', timeoutMs: 250 });
    eq(r.outcome, 'TIMEOUT', 'send(250)');
    assert(r.ms >= 250, `timed out after ${r.ms} ms (< 250)`);
    assert(r.ms < 250 + SLACK_MS, `timed out after ${r.ms} ms`);
    eq(rx.len, 1, 'nothing enqueued');
    eq(rx.tryRecv(), 'full', 'only the first');
    eq(rx.tryRecv(), undefined, 'the timed-out message never arrives');
    tx.trySend('full');
    const z = await run('sendOne', { token: tx.share(), msg: 'late', timeoutMs: 0 });
    eq(z.outcome, 'TIMEOUT', 'send(0) on full');
    assert(z.ms < SLACK_MS, `send(0) took ${z.ms} ms`);
    eq(rx.len, 1, 'nothing enqueued by send(0)');
    const bad = await run('badTimeouts', { txToken: tx.share(), rxToken: rx.share() });
    for (const b of bad.results) eq([b.outcome, b.name], ['INVALID', 'RangeError'], `${b.what}(${b.timeout})`);
    eq(bad.len, 1, 'bad timeouts sent nothing');
    tx.dispose();
  },

  async s10_timeouts_main_thread_send() {
    const [tx, rx] = channel(1);
    tx.trySend('full');
    const t0 = performance.now();
    const e = await rejection(tx.send('never', { timeout: 200 }));
    const ms = performance.now() - t0;
    eq(e?.code, 'TIMEOUT', 'send(200) on full');
    assert(ms >= 200 && ms < 200 + SLACK_MS, `send timed out after ${ms} ms`);
    eq(rx.len, 1, 'nothing enqueued');
    for (const t of [-1, Number.NaN]) {
      // A bad argument throws at the call (as in the Node package); outcomes reject.
      const b = errorOf(() => tx.send('x', { timeout: t }));
      assert(b instanceof RangeError && b.code === 'INVALID', `send timeout ${t}: ${b?.code}`);
      const c = errorOf(() => rx.recv({ timeout: t }));
      assert(c instanceof RangeError && c.code === 'INVALID', `recv timeout ${t}: ${c?.code}`);
    }
    eq(rx.tryRecv(), 'full', 'only the first');
    eq(rx.tryRecv(), undefined, 'the timed-out send enqueued nothing');
    tx.dispose();
    rx.dispose();
  },

  async s11_no_lost_wakeup_capacity_1_workers() {
    // Every message is a hand-over between waiting threads. Kept to 1.2k messages:
    // with all five threads squeezed onto one busy core, some runs settle into a
    // steady 2-8 ms per hand-over (no stall over 50 ms, so no lost wake-up: slow, not
    // stuck), where 20k messages took 30 s instead of 1 s. A lost wake-up still hangs
    // the test into its timeout.
    await workerStress({ producers: 4, n: 300, capacity: 1, max: 1 });
  },

  async s11_no_lost_wakeup_capacity_1_main_thread_receiver() {
    // Four blocking senders wake on slots freed by the main thread's recv, which
    // itself waits with Atomics.waitAsync for each of their sends.
    const [tx, rx] = channel(1);
    const ps = [0, 1, 2, 3].map((p) => spawn('produce', { token: tx.share(), producer: p, n: 1000 }));
    tx.dispose();
    const got = await drainAsync(rx, 4, 1);
    eq(got.total, 4000, 'exactly once');
    eq(got.next, [1000, 1000, 1000, 1000], 'complete sequences');
    await Promise.all(ps.map((w) => w.done));
    rx.dispose();
  },

  async s11_no_lost_wakeup_main_thread_send() {
    // The main thread's send waits for slots that a blocking worker receiver frees.
    const [tx, rx] = channel(1);
    const consumer = spawn('consume', { token: rx.share(), producers: 1, max: 1 });
    for (let i = 0; i < 2000; i++) await tx.send(`0:${i}`);
    tx.dispose();
    eq(await consumer.done, { total: 2000, next: [2000], errors: 0 }, 'consumer result');
  },

  async s12_senders_gone() {
    const [tx, rx] = channel(4);
    const tx2 = tx.clone();
    tx.trySend('a');
    tx2.trySend('b');
    tx.dispose();
    eq(rx.closed, false, 'one sender left');
    tx2.dispose();
    eq(rx.tryRecv(), 'a', 'drain 1');
    eq(rx.tryRecv(), 'b', 'drain 2');
    eq(codeOf(() => rx.tryRecv()), 'CLOSED', 'end-of-stream after the drain');
    rx.dispose();
    // An unredeemed sender token keeps the stream open until dropped.
    const [tx3, rx3] = channel(2);
    const t = tx3.share();
    tx3.dispose();
    eq(rx3.tryRecv(), undefined, 'a token is a sender');
    eq(revokeToken(t), true, 'revokeToken');
    eq(codeOf(() => rx3.tryRecv()), 'CLOSED', 'end-of-stream once the token is dropped');
    rx3.dispose();
  },

  async s12_senders_gone_wakes_blocked_worker() {
    const [tx, rx] = channel(4);
    const started = counter();
    const w = spawn('recvOne', { token: rx.share(), started: started.buffer });
    assert(await until(() => Atomics.load(started, 0) === 1), 'worker started');
    await sleep(100);
    tx.dispose();
    eq((await w.done).outcome, 'CLOSED', 'blocked receiver woke at end-of-stream');
  },

  async s12_senders_gone_in_workers_main_thread_for_await() {
    // The only senders are in workers; when they free theirs, for-await ends.
    const [tx, rx] = channel(4);
    const a = spawn('delayedSend', { token: tx.share(), msgs: ['a1', 'a2'], delayMs: 100 });
    const b = spawn('delayedSend', { token: tx.share(), msgs: ['b1'], delayMs: 200 });
    tx.dispose();
    const got = [];
    for await (const m of rx) got.push(m);
    await Promise.all([a.done, b.done]);
    eq(got.length, 3, `received ${got}`);
    eq(got.filter((m) => m[0] === 'a'), ['a1', 'a2'], 'per-producer order');
    assert(got.includes('b1'), 'b1 delivered');
    eq(codeOf(() => rx.tryRecv()), 'CLOSED', 'end-of-stream stays');
    rx.dispose();
  },

  async s13_receiver_gone() {
    const [tx, rx] = channel(4);
    tx.trySend(new Uint8Array(1000));
    tx.trySend('queued');
    rx.dispose();
    eq(tx.closed, true, 'closed');
    eq(codeOf(() => tx.trySend('x')), 'CLOSED', 'trySend');
    eq((await rejection(tx.send('x')))?.code, 'CLOSED', 'send');
    eq((await run('sendOne', { token: tx.share(), msg: 'x' })).outcome, 'CLOSED', 'worker send');
    tx.dispose();
    // A receiver with a pending recv, freed.
    const [tx2, rx2] = channel(2);
    const p = rx2.recv();
    rx2.dispose();
    eq((await rejection(p))?.code, 'CLOSED', 'pending recv');
    eq(codeOf(() => tx2.trySend('x')), 'CLOSED', 'closed');
    tx2.dispose();
  },

  async s13_receiver_freed_in_worker_wakes_blocked_sender() {
    const [tx, rx] = channel(1);
    tx.trySend('full');
    const started = counter();
    const sender = spawn('sendOne', { token: tx.share(), msg: 'blocked', started: started.buffer });
    assert(await until(() => Atomics.load(started, 0) === 1), 'worker started');
    await sleep(100);
    const r = await run('recvOne', { token: rx.share() }); // takes 'full', frees the receiver
    eq(r.msg, 'full', 'receiver got the queued message');
    const s = await sender.done;
    // Either the blocked send took the freed slot before the receiver went (its message
    // released with the receiver), or it woke with CLOSED.
    assert(['ok', 'CLOSED'].includes(s.outcome), `sender outcome ${s.outcome}`);
    eq(codeOf(() => tx.trySend('after')), 'CLOSED', 'closed');
    tx.dispose();
  },

  async s13_s15_queued_messages_released() {
    // Receivers freed with 4 MiB queued each: if the messages were not released the
    // memory would grow by 80 MiB over these rounds.
    const round = () => {
      const [tx, rx] = channel(64);
      for (let j = 0; j < 64; j++) tx.trySend(new Uint8Array(65536));
      eq(rx.len, 64, 'full');
      rx.dispose();
      eq(codeOf(() => tx.trySend('x')), 'CLOSED', 'closed');
      tx.dispose();
    };
    round();
    const before = memBytes();
    for (let i = 0; i < 20; i++) round();
    eq(memBytes(), before, 'memory after 20 dropped full channels');
  },

  async s14_bad_input_capacity() {
    for (const cap of [0, -1, 1.5, (1 << 20) + 1, 2 ** 40, Number.NaN, Infinity]) {
      const e = errorOf(() => channel(cap));
      assert(e instanceof RangeError, `capacity ${cap}: RangeError`);
      eq(e.code, 'INVALID', `capacity ${cap}`);
      assert(/^capacity .* is out of range 1\.\.=1048576$/.test(e.message), `message ${e.message}`);
    }
    eq(errorOf(() => channel(0)).message, 'capacity 0 is out of range 1..=1048576', 'message names the bound');
    for (const cap of ['4', undefined, null, {}]) {
      const e = errorOf(() => channel(cap));
      assert(e instanceof TypeError && e.code === 'INVALID', `capacity ${String(cap)}: TypeError INVALID`);
    }
  },

  async s14_bad_input_messages() {
    const [tx, rx] = channel(8);
    for (const m of [{}, null, undefined, [1, 2], new ArrayBuffer(4), new Uint16Array(2), new Blob(['x']), 5n]) {
      const e = errorOf(() => tx.trySend(m));
      assert(e instanceof TypeError, `${String(m)}: TypeError`);
      eq(e.code, 'INVALID', 'code');
      eq(e.message, 'a message must be a Uint8Array, a string or a number', 'message');
      eq(errorOf(() => tx.send(m))?.code, 'INVALID', 'send throws at the call');
    }
    eq(errorOf(() => tx.trySendBatch(['ok', 'ok', {}]))?.code, 'INVALID', 'a batch with a bad message');
    eq(rx.len, 0, 'nothing half-enqueued');
    const big = new Uint8Array(MAX_MESSAGE_BYTES + 1);
    const e = errorOf(() => tx.trySend(big));
    assert(e instanceof RangeError && e.code === 'INVALID', 'oversized: RangeError INVALID');
    eq(e.message, 'message of 67108865 bytes is over the limit of 67108864', 'message');
    eq(rx.len, 0, 'not truncated, not enqueued');
    for (const max of [0, -1, 1.5, Number.NaN]) {
      const m = errorOf(() => rx.tryRecvBatch(max));
      assert(m instanceof RangeError && m.code === 'INVALID', `max ${max}`);
    }
    tx.dispose();
    rx.dispose();
  },

  async s14_bad_input_tokens() {
    const [tx, rx] = channel(1);
    const before = pendingTokens();
    const good = tx.share();
    assert(/^funnelq:s:[0-9a-f]{8}:\d+:[0-9a-f]{16}$/.test(good), `token format ${good}`);
    eq(pendingTokens(), before + 1, 'pending');
    const [prefix, kind, domain, id, tag] = good.split(':');
    const flip = (h) => h.slice(0, -1) + (h.at(-1) === '0' ? '1' : '0');
    const cases = {
      'not a string': 12345,
      empty: '',
      malformed: 'hello',
      'forged tag': [prefix, kind, domain, id, flip(tag)].join(':'),
      'unknown id': [prefix, kind, domain, '999999', tag].join(':'),
      'other memory': [prefix, kind, flip(domain), id, tag].join(':'),
    };
    for (const [what, token] of Object.entries(cases)) {
      eq(errorOf(() => Sender.fromToken(token))?.code, 'INVALID', what);
      eq(await run('redeem', { token, kind: 'sender' }), 'INVALID', `${what} in a worker`);
    }
    const otherMemory = errorOf(() => Sender.fromToken(cases['other memory'])).message;
    assert(/not issued here/.test(otherMemory), `says where: ${otherMemory}`);
    const forged = errorOf(() => Sender.fromToken(cases['forged tag'])).message;
    assert(/not issued here/.test(forged), `forged: ${forged}`);
    assert(errorOf(() => Sender.fromToken(12345)) instanceof TypeError, 'a non-string token is a TypeError');
    eq(await run('redeem', { token: good, kind: 'receiver' }), 'INVALID', 'wrong kind');
    eq(await run('redeem', { token: good, kind: 'sender' }), 'ok', 'redeemed in a worker');
    eq(await run('redeem', { token: good, kind: 'sender' }), 'INVALID', 'stale');
    eq(errorOf(() => Sender.fromToken(good))?.code, 'INVALID', 'stale here too');
    eq(pendingTokens(), before, 'no token left pending');
    // A moved receiver is unusable here; its token works once elsewhere.
    const rt = rx.share();
    eq(codeOf(() => rx.tryRecv()), 'INVALID', 'moved receiver');
    eq(codeOf(() => rx.share()), 'INVALID', 'moved receiver share()');
    eq(codeOf(() => Sender.fromToken(rt)), 'INVALID', 'receiver token as a sender');
    tx.trySend('via token');
    eq((await run('recvOne', { token: rt })).msg, 'via token', 'received in the worker');
    // A freed handle is INVALID, not a crash.
    const c = tx.clone();
    c.dispose();
    tx.dispose();
    rx.dispose();
  },

  async s14_bad_input_foreign_memory_token() {
    // A second instance of the module on its own memory, as another library copy on
    // the page would be.
    const other = await import('../pkg/funnelq_wasm.js?second-instance');
    other.initSync({ module: shared.module });
    const [otx, orx] = other.channel(1);
    const foreign = otx.share();
    const e = errorOf(() => Sender.fromToken(foreign));
    eq(e?.code, 'INVALID', 'foreign token');
    assert(/not issued here/.test(e.message), `message ${e.message}`);
    eq(await run('redeem', { token: foreign, kind: 'sender' }), 'INVALID', 'in a worker too');
    eq(other.revokeToken(foreign), true, 'still valid in its own memory');
    otx.dispose();
    orx.dispose();
  },

  async s14_busy_second_receive() {
    const [tx, rx] = channel(2);
    const p = rx.recv();
    eq(codeOf(() => rx.tryRecv()), 'BUSY', 'tryRecv while recv pending');
    eq(rx.len, 0, 'len() still works');
    eq((await rejection(rx.recv()))?.code, 'BUSY', 'second recv');
    eq((await rejection(rx.recvBatch(2)))?.code, 'BUSY', 'recvBatch');
    tx.trySend('one');
    eq(await p, 'one', 'the first receive still gets its message');
    tx.trySend('two');
    eq(rx.tryRecv(), 'two', 'usable again');
    tx.dispose();
    rx.dispose();
  },

  async s15_bounded_memory_main_thread() {
    const round = () => {
      const [tx, rx] = channel(128);
      for (let i = 0; i < 50_000; i += 100) {
        for (let j = 0; j < 100; j++) tx.trySend(j % 2 ? `message ${i + j}` : new Uint8Array(64));
        eq(rx.tryRecvBatch(100).length, 100, 'batch');
      }
      tx.dispose();
      rx.dispose();
    };
    round();
    const before = memBytes();
    for (let i = 0; i < 4; i++) round();
    eq(memBytes(), before, 'no growth over 200k messages');
  },

  async s15_bounded_memory_workers() {
    const workerRound = async (n) => {
      const [tx, rx] = channel(32);
      const ps = [0, 1].map((p) => spawn('produce', { token: tx.share(), producer: p, n, bytes: true }));
      tx.dispose();
      let got = 0;
      for (;;) {
        try {
          got += (await rx.recvBatch(64)).length;
        } catch (e) {
          eq(e.code, 'CLOSED', 'end-of-stream');
          break;
        }
      }
      await Promise.all(ps.map((w) => w.done));
      rx.dispose();
      eq(got, 2 * n, 'received');
    };
    for (let i = 0; i < 2; i++) await workerRound(25_000);
    const before = memBytes();
    for (let i = 0; i < 3; i++) await workerRound(25_000);
    // Leaked messages would cost >= 1.2 MB per round; worker stacks (1 MiB each, made
    // at worker start) may land above a fragment once or twice.
    const grown = memBytes() - before;
    assert(grown <= 4 * 1048576, `memory grew by ${grown} bytes over 3 rounds of 50k messages`);
    eq(pendingTokens(), 0, 'no token left');
  },

  async s16_cancellation_timed_out_recv_loses_nothing() {
    const [tx, rx] = channel(4);
    let timedOut = 0;
    for (let i = 0; i < 12; i++) {
      const p = rx.recv({ timeout: 5 });
      const late = run('sendOne', { token: tx.share(), msg: `m${i}` });
      let got;
      try {
        got = await p;
      } catch (e) {
        eq(e.code, 'TIMEOUT', 'only a timeout');
        timedOut++;
      }
      eq((await late).outcome, 'ok', 'worker sent');
      if (got === undefined) got = await rx.recv({ timeout: SLACK_MS });
      eq(got, `m${i}`, 'received exactly once, by the timed-out or the next receive');
      eq(rx.tryRecv(), undefined, 'no duplicate');
    }
    // A worker takes ~tens of ms to start, so most 5 ms receives did time out: the
    // cancellation path really ran.
    assert(timedOut > 0, 'some receives timed out');
    tx.dispose();
    rx.dispose();
  },

  async s16_cancellation_timed_out_send_enqueues_nothing() {
    const [tx, rx] = channel(1);
    tx.trySend('full');
    const t0 = performance.now();
    eq((await rejection(tx.send('never', { timeout: 120 })))?.code, 'TIMEOUT', 'send(120)');
    const ms = performance.now() - t0;
    assert(ms >= 120 && ms < 120 + SLACK_MS, `timed out after ${ms} ms`);
    // A worker receiver frees the slot after the timeout: the abandoned send must not take it.
    const r = await run('recvOne', { token: rx.share(), keep: true });
    eq(r.msg, 'full', 'worker got the queued one');
    const back = Receiver.fromToken(r.back);
    await sleep(20);
    eq(back.tryRecv(), undefined, 'the timed-out message never arrives');
    await tx.send('fits', { timeout: 1000 });
    eq(back.tryRecv(), 'fits', 'with room, send with a timeout sends');
    tx.dispose();
    back.dispose();
  },

  async s16_cancellation_abort_signal_recv_loses_nothing() {
    const [tx, rx] = channel(2);
    const ac = new AbortController();
    const pending = rx.recv({ signal: ac.signal });
    await sleep(20);
    ac.abort();
    const e = await rejection(pending);
    eq([e?.name, e?.code], ['AbortError', 'ABORT_ERR'], 'aborted recv');
    assert(e.cause === ac.signal.reason, 'cause is signal.reason');
    eq((await run('sendOne', { token: tx.share(), msg: 'after' })).outcome, 'ok', 'worker sent');
    eq(await rx.recv({ timeout: SLACK_MS }), 'after', 'the next receive gets it');
    const pre = AbortSignal.abort();
    eq((await rejection(rx.recv({ signal: pre })))?.code, 'ABORT_ERR', 'already aborted');
    rx.dispose();
  },

  async s16_cancellation_abort_signal_send_enqueues_nothing() {
    const [tx, rx] = channel(1);
    tx.trySend('full');
    const signal = AbortSignal.timeout(60);
    const t0 = performance.now();
    const e = await rejection(tx.send('never', { signal }));
    const ms = performance.now() - t0;
    eq([e?.name, e?.code, e?.cause?.name], ['AbortError', 'ABORT_ERR', 'TimeoutError'], 'aborted send');
    assert(ms >= 55 && ms < 60 + SLACK_MS, `aborted after ${ms} ms`);
    eq(rx.tryRecv(), 'full', 'only the queued one');
    await sleep(20);
    eq(rx.tryRecv(), undefined, 'the aborted message never arrives');
    tx.dispose();
    rx.dispose();
  },

  async s17_interrupt_main_thread_refuses_blocking() {
    eq(crossOriginIsolated, true, 'page is cross-origin isolated');
    eq(canBlock(), false, 'canBlock() on the main thread');
    eq((await run('probe')).canBlock, true, 'workers may block');
    const [tx, rx] = channel(2);
    const e = errorOf(() => rx.recvSync());
    eq(e?.code, 'MAIN_THREAD', 'recv()');
    assert(/recvSync\(\) would block .* use await recv\(\)/.test(e.message), `message ${e.message}`);
    eq(codeOf(() => rx.recvSync({ timeout: 10 })), 'MAIN_THREAD', 'recv(timeout)');
    eq(codeOf(() => rx.recvBatchSync(3)), 'MAIN_THREAD', 'recvBatch');
    eq(codeOf(() => tx.sendSync('x')), 'MAIN_THREAD', 'send');
    eq(codeOf(() => tx.sendSync('x', { timeout: 10 })), 'MAIN_THREAD', 'send(timeout)');
    eq(codeOf(() => tx.sendBatchSync(['x'])), 'MAIN_THREAD', 'sendBatch');
    eq(codeOf(() => [...rx]), 'MAIN_THREAD', 'the blocking iterator');
    eq(rx.len, 0, 'a refused send enqueued nothing');
    // Refused before touching the channel: a queued message stays for the async form.
    tx.trySend('a');
    eq(codeOf(() => rx.recvSync()), 'MAIN_THREAD', 'recv() with a message queued');
    eq(rx.len, 1, 'a refused receive took nothing');
    eq(await rx.recv(), 'a', 'recv works');
    tx.dispose();
    rx.dispose();
  },

  async s17_interrupt_main_thread_stays_responsive() {
    // While recv waits for a worker that sends after 300 ms, timers keep firing:
    // the main thread waits with Atomics.waitAsync, never a blocking wait.
    const [tx, rx] = channel(2);
    const w = spawn('delayedSend', { token: tx.share(), msgs: ['late'], delayMs: 300 });
    tx.dispose();
    let ticks = 0;
    const iv = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    let got;
    try {
      got = await rx.recv();
    } finally {
      clearInterval(iv);
    }
    const ms = performance.now() - t0;
    eq(got, 'late', 'message from the worker');
    assert(ms >= 300, `received after ${ms} ms`);
    assert(ticks >= 5, `only ${ticks} timer ticks during a ${ms.toFixed(0)} ms wait`);
    await w.done;
    eq((await rejection(rx.recv()))?.code, 'CLOSED', 'end-of-stream');
    rx.dispose();
  },

  async s17_interrupt_async_forms_under_backpressure() {
    const [tx, rx] = channel(4);
    const w = spawn('produce', { token: tx.share(), producer: 0, n: 2000 });
    for (let i = 0; i < 2000; i++) eq(await rx.recv(), `0:${i}`, 'order');
    await w.done;
    const consumer = spawn('consume', { token: rx.share(), producers: 1, max: 3 });
    for (let i = 0; i < 2000; i++) await tx.send(`0:${i}`);
    tx.dispose();
    eq(await consumer.done, { total: 2000, next: [2000], errors: 0 }, 'worker received send output');
  },

  async s18_batch_try_forms() {
    const [tx, rx] = channel(5);
    eq(tx.trySendBatch([]), 0, 'empty batch');
    eq(tx.trySendBatch(['a', 'b', 'c']), 3, 'all fit');
    eq(tx.trySendBatch(['d', 'e', 'f', 'g']), 2, 'the prefix that fits');
    eq(tx.trySendBatch(['h']), 0, 'none fits');
    eq(rx.tryRecvBatch(2), ['a', 'b'], 'max 2');
    eq(rx.tryRecvBatch(10), ['c', 'd', 'e'], 'what is ready, in order');
    eq(rx.tryRecvBatch(10), [], 'empty');
    tx.dispose();
    eq(codeOf(() => rx.tryRecvBatch(10)), 'CLOSED', 'end-of-stream');
    rx.dispose();
  },

  async s18_batch_recvBatch_main_thread() {
    const [tx, rx] = channel(16);
    const p = rx.recvBatch(4); // waits for the first only
    await sleep(30);
    tx.trySendBatch(['1', '2', '3', '4', '5', '6']);
    const first = await p;
    assert(first.length >= 1 && first.length <= 4, `1..=4, got ${first.length}`);
    const all = [...first];
    while (all.length < 6) all.push(...(await rx.recvBatch(4)));
    eq(all, ['1', '2', '3', '4', '5', '6'], 'FIFO');
    tx.dispose();
    eq((await rejection(rx.recvBatch(4)))?.code, 'CLOSED', 'end-of-stream');
    rx.dispose();
  },

  async s18_batch_workers_sendBatch_recvBatch() {
    await workerStress({ producers: 4, n: 10_000, capacity: 256, batch: 100, max: 64 });
  },

  async s18_batch_sendBatch_partial_then_closed() {
    // A worker's sendBatch of 5 into capacity 2: two go in, it waits; the close ends it
    // with CLOSED and err.sent === 2.
    const [tx, rx] = channel(2);
    const started = counter();
    const w = spawn('sendBatchOne', { token: tx.share(), msgs: ['a', 'b', 'c', 'd', 'e'], started: started.buffer });
    assert(await until(() => Atomics.load(started, 0) === 1 && rx.len === 2), 'two went in');
    await sleep(100);
    eq(rx.len, 2, 'still waiting');
    rx.close();
    const r = await w.done;
    eq([r.outcome, r.sent], ['CLOSED', 2], 'CLOSED with err.sent');
    eq(rx.tryRecvBatch(10), ['a', 'b'], 'the prefix, in order');
    eq(codeOf(() => rx.tryRecv()), 'CLOSED', 'nothing more');
    tx.dispose();
    rx.dispose();
  },

  async s03_fifo_per_producer_promise_sends_keep_order() {
    for (let round = 0; round < 30; round++) {
      const [tx, rx] = channel(1);
      tx.trySend('first');
      const a = tx.send('a'); // waits: full
      eq(tx.trySend('overtake?'), false, 'a try form does not overtake a pending send');
      eq(rx.tryRecv(), 'first', 'first');
      const b = tx.send('b'); // after a slot freed, still after 'a'
      const got = [await rx.recv(), await rx.recv()];
      await Promise.all([a, b]);
      eq(got, ['a', 'b'], 'per-producer order');
      tx.dispose();
      rx.dispose();
    }
  },

  async s22_hostile_sizes() {
    const [tx, rx] = channel(8);
    const before = memBytes();
    const huge = new Array(1e9);
    for (let i = 0; i < 2000; i++) {
      for (const f of [() => tx.trySendBatch(huge), () => tx.sendBatch(huge)]) {
        const e = errorOf(f);
        assert(e instanceof RangeError && e.code === 'INVALID', `batch of 1e9: ${e?.constructor?.name} ${e?.message}`);
      }
    }
    eq(errorOf(() => tx.trySendBatch(huge)).message, 'batch of 1000000000 items is over the limit of 1048576', 'message');
    eq(tx.trySendBatch(['a', 2, new Uint8Array([3])]), 3, 'batches still work on this thread');
    eq(rx.tryRecvBatch(MAX_BATCH).length, 3, 'max = MAX_BATCH');
    assert(errorOf(() => rx.tryRecvBatch(MAX_BATCH + 1)) instanceof RangeError, 'max over MAX_BATCH');
    const long = 'x'.repeat(MAX_MESSAGE_BYTES + 1);
    assert(/^message of at least 67108865 bytes/.test(errorOf(() => tx.trySend(long)).message), 'long string');
    const wide = '\u20ac'.repeat(30_000_000);
    eq(errorOf(() => tx.trySend(wide)).message, 'message of 90000000 bytes is over the limit of 67108864', 'wide string');
    eq(memBytes(), before, 'nothing copied into the shared memory for the refused ones');
    eq(rx.len, 0, 'nothing enqueued');
    tx.dispose();
    rx.dispose();
  },

  async s21_participant_failure_terminated_workers() {
    // Web workers terminated at random moments under load: a pool of workers runs
    // producers and consumers; one is terminated per round, releaseWorker(id) (which
    // waits for the worker's Web Lock, i.e. until it has stopped) releases what it
    // held, and every round checks the books and that the survivors finish.
    const pool = [];
    const startWorker = () => {
      const w = new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module' });
      const pw = { w, seq: 0, ready: new Promise((ok) => (w.onmessage = () => ok())) };
      w.postMessage({ shared });
      return pw;
    };
    const take = async () => {
      while (pool.length < 8) pool.push(startWorker());
      const pw = pool.shift();
      await pw.ready;
      return pw;
    };
    const runOn = (pw, task, args) => {
      const seq = ++pw.seq;
      const done = new Promise((ok, fail) => {
        pw.w.onmessage = ({ data }) => {
          if (data.seq !== seq) return;
          if (data.ok) ok(data.result);
          else fail(Object.assign(new Error(`${task}: ${data.error.message}`), { code: data.error.code }));
        };
        pw.w.onerror = (e) => fail(new Error(`${task}: ${e.message}`));
      });
      done.catch(() => {});
      pw.w.postMessage({ seq, task, args });
      return done;
    };
    let seed = 21;
    const random = (n) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
    const t0 = performance.now();
    let rounds = 0;
    let next = 0;
    // Rounds run in 3 lanes at once: a round mostly waits (worker start-up, the
    // terminated worker's lock), and the lanes keep the cores busy meanwhile.
    const lane = async () => {
      for (let round = next++; round < 200 && performance.now() - t0 < S21_BUDGET_MS; round = next++) {
        await oneRound(round);
        rounds++;
      }
    };
    const oneRound = async (round) => {
      {
        const [tx, rx] = channel(1 + random(4));
        if (round % 4 === 3) {
          // The consumer is terminated; this thread's Promise sends must not hang.
          const ids = new SharedArrayBuffer(4);
          const got = new SharedArrayBuffer(4);
          const cw = await take();
          runOn(cw, 's21Consumer', { token: rx.share(), slot: 0, ids, got });
          assert(await until(() => Atomics.load(new Int32Array(ids), 0) !== 0), 'consumer started');
          const cut = random(100);
          let sent = 0;
          const killer = (async () => {
            await until(() => Atomics.load(new Int32Array(got), 0) >= cut || sent >= 500);
            cw.w.terminate();
            eq(await releaseWorker(Atomics.load(new Int32Array(ids), 0)), 1, 'released its receiver');
          })();
          for (;;) {
            try {
              await tx.send(`${sent}`);
              sent++;
            } catch (e) {
              eq(e.code, 'CLOSED', 'senders see the channel closed (S13)');
              break;
            }
          }
          await withTimeout(killer, TEST_TIMEOUT_MS);
          assert(Atomics.load(new Int32Array(got), 0) <= sent, 'never more received than sent');
          tx.dispose();
          rx.dispose();
          return;
        }
        const P = 3;
        const N = 200;
        const cw = await take();
        const consumer = runOn(cw, 'consume', { token: rx.share(), producers: P, max: 1 + random(32) });
        const ids = new SharedArrayBuffer(4 * P);
        const progress = new SharedArrayBuffer(4 * P);
        const ps = [];
        for (let p = 0; p < P; p++) {
          const pw = await take();
          ps.push({ pw, done: runOn(pw, 's21Producer', { token: tx.share(), producer: p, n: N, ids, progress }) });
        }
        tx.dispose();
        const victim = random(P);
        const cutAt = random(N);
        const idView = new Int32Array(ids);
        const progView = new Int32Array(progress);
        assert(await until(() => Atomics.load(idView, victim) !== 0), 'victim started');
        await until(() => Atomics.load(progView, victim) >= cutAt);
        ps[victim].pw.w.terminate();
        const released = await withTimeout(releaseWorker(Atomics.load(idView, victim)), TEST_TIMEOUT_MS);
        assert(released <= 1, `released ${released}`);
        const acknowledged = Atomics.load(progView, victim);
        for (let p = 0; p < P; p++) {
          if (p !== victim) eq(await withTimeout(ps[p].done, TEST_TIMEOUT_MS), { sent: N }, `survivor ${p}`);
        }
        const got = await withTimeout(consumer, TEST_TIMEOUT_MS);
        eq(got.errors, 0, `round ${round}: in order, once`);
        for (let p = 0; p < P; p++) {
          const n = got.next[p];
          if (p !== victim) eq(n, N, `round ${round}: survivor ${p} delivered all`);
          else assert(n === acknowledged || n === acknowledged + 1, `round ${round}: victim ${n} vs ${acknowledged}`);
        }
        pool.push(cw, ...ps.filter((_, p) => p !== victim).map((x) => x.pw));
        rx.dispose();
      }
    };
    try {
      await Promise.all([lane(), lane(), lane()]);
    } finally {
      for (const pw of pool) pw.w.terminate();
    }
    assert(rounds >= 50, `only ${rounds} rounds in ${S21_BUDGET_MS} ms`);
    eq(pendingTokens(), 0, 'no token left');
    console.log(`progress: s21 ${rounds} rounds in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  },
};

async function withTimeout(p, ms) {
  let timer;
  try {
    return await Promise.race([
      p,
      new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// run.mjs reads these if the whole run overruns its deadline.
const results = [];
window.__partial = results;
window.__running = null;
window.__results = (async () => {
  try {
    // Small worker stacks: a terminated worker's stack stays allocated (S21 test).
    shared = await init({ threadStackSize: 4 * 65536 });
  } catch (e) {
    results.push({ name: 'init', ok: false, error: String(e?.message ?? e) });
    return results;
  }
  const only = new URLSearchParams(location.search).get('only');
  for (const [name, fn] of Object.entries(tests)) {
    if (only && !new RegExp(only).test(name)) continue;
    const t0 = performance.now();
    window.__running = name;
    try {
      await withTimeout(fn(), name.startsWith('s21_') ? S21_BUDGET_MS + TEST_TIMEOUT_MS : TEST_TIMEOUT_MS);
      results.push({ name, ok: true, ms: performance.now() - t0 });
      log(`ok ${name}`);
      console.log(`progress: ok ${name} (${(performance.now() - t0).toFixed(0)} ms)`);
    } catch (e) {
      results.push({ name, ok: false, error: String(e?.stack ?? e) });
      log(`not ok ${name}: ${e?.message ?? e}`);
      console.log(`progress: not ok ${name}: ${e?.message ?? e}`);
    }
    // Workers a failed test left waiting would otherwise hold their stacks for the rest.
    for (const w of live) w.terminate();
    live = new Set();
  }
  window.__running = null;
  return results;
})();
