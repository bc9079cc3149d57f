// The Node-worker scenarios in a real browser: web workers, a cross-origin isolated
// page, the consumer once on the main thread (async) and once in a worker (blocking).
import { canBlock, channel, init, Receiver, Sender } from '../pkg/index.js';

const logEl = document.getElementById('log');
const log = (s) => {
  logEl.textContent += s + '\n';
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SLACK_MS = 1500;

let shared;
function spawn(task, args = {}) {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const done = new Promise((ok, fail) => {
    w.onmessage = ({ data }) => (data.ok ? ok(data.result) : fail(new Error(`${task}: ${data.error.message}`)));
    w.onerror = (e) => fail(new Error(`${task}: ${e.message}`));
  });
  w.postMessage({ shared, task, args });
  return { done };
}
function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return 'no error';
}

const tests = {
  async s17_interrupt_main_thread() {
    assert(crossOriginIsolated === true, 'page is cross-origin isolated');
    assert(canBlock() === false, 'canBlock() is false on the main thread');
    const [tx, rx] = channel(2);
    const e = (() => {
      try {
        rx.recv();
      } catch (err) {
        return err;
      }
    })();
    assert(e?.code === 'MAIN_THREAD', `recv() refused: ${e?.code}`);
    assert(codeOf(() => rx.recv(10)) === 'MAIN_THREAD', 'recv(timeout) refused');
    assert(codeOf(() => tx.send('x')) === 'MAIN_THREAD', 'send() refused');
    assert(codeOf(() => rx.recvBatch(3)) === 'MAIN_THREAD', 'recvBatch() refused');
    assert(rx.len() === 0, 'nothing enqueued');
    assert((await spawn('probe').done).canBlock === true, 'workers may block');
    tx.trySend('a');
    assert((await rx.recvAsync()) === 'a', 'recvAsync works');
    tx.free();
    rx.free();
  },

  async s04_four_workers_main_thread_async_consumer() {
    const P = 4;
    const N = 25_000;
    const [tx, rx] = channel(256);
    const ps = [];
    for (let p = 0; p < P; p++) ps.push(spawn('produce', { token: tx.token(), producer: p, n: N }));
    tx.free();
    const next = new Array(P).fill(0);
    let total = 0;
    const t0 = performance.now();
    for (;;) {
      let batch;
      try {
        batch = await rx.recvBatchAsync(256);
      } catch (e) {
        assert(e.code === 'CLOSED', `end-of-stream: ${e.code}`);
        break;
      }
      for (const m of batch) {
        const k = m.indexOf(':');
        const p = Number(m.slice(0, k));
        const i = Number(m.slice(k + 1));
        assert(next[p] === i, `producer ${p}: expected ${next[p]}, got ${i}`);
        next[p]++;
        total++;
      }
    }
    const ms = performance.now() - t0;
    await Promise.all(ps.map((w) => w.done));
    assert(total === P * N, `total ${total}`);
    rx.free();
    log(`  ${total} messages in ${ms.toFixed(0)} ms (${((total / ms) * 1000).toFixed(0)} msg/s)`);
  },

  async s04_four_workers_blocking_worker_consumer() {
    const P = 4;
    const N = 25_000;
    const [tx, rx] = channel(256);
    const consumer = spawn('consume', { token: rx.token(), producers: P, max: 256 });
    const ps = [];
    for (let p = 0; p < P; p++) ps.push(spawn('produce', { token: tx.token(), producer: p, n: N, bytes: true }));
    tx.free();
    await Promise.all(ps.map((w) => w.done));
    const got = await consumer.done;
    assert(got.errors === 0, 'per-producer order');
    assert(got.total === P * N, `total ${got.total}`);
  },

  async s07_close_wakes_blocked_worker() {
    const [tx, rx] = channel(2);
    const w = spawn('recvOne', { token: rx.token() });
    await sleep(200);
    tx.close();
    const r = await w.done;
    assert(r.outcome === 'CLOSED', `outcome ${r.outcome}`);
    tx.free();
  },

  async s09_s10_timeouts_in_worker() {
    const [tx, rx] = channel(1);
    const r = await spawn('recvOne', { token: rx.token(), timeoutMs: 200, keep: true }).done;
    assert(r.outcome === 'TIMEOUT', `recv outcome ${r.outcome}`);
    assert(r.ms >= 200 && r.ms < 200 + SLACK_MS, `recv timed out after ${r.ms} ms`);
    tx.trySend('full');
    const s = await spawn('sendOne', { token: tx.token(), msg: 'late', timeoutMs: 200 }).done;
    assert(s.outcome === 'TIMEOUT', `send outcome ${s.outcome}`);
    assert(s.ms >= 200 && s.ms < 200 + SLACK_MS, `send timed out after ${s.ms} ms`);
    const back = Receiver.fromToken(r.back);
    assert(back.len() === 1, 'nothing enqueued by the timed-out send');
    back.free();
    tx.free();
  },

  async s09_s16_main_thread_async_timeouts() {
    const [tx, rx] = channel(1);
    let t0 = performance.now();
    const e = await rx.recvAsync(150).catch((err) => err);
    let ms = performance.now() - t0;
    assert(e?.code === 'TIMEOUT', `recvAsync outcome ${e?.code}`);
    assert(ms >= 150 && ms < 150 + SLACK_MS, `recvAsync timed out after ${ms} ms`);
    tx.trySend('full');
    t0 = performance.now();
    const s = await tx.sendAsync('never', 150).catch((err) => err);
    ms = performance.now() - t0;
    assert(s?.code === 'TIMEOUT', `sendAsync outcome ${s?.code}`);
    assert(ms >= 150 && ms < 150 + SLACK_MS, `sendAsync timed out after ${ms} ms`);
    assert((await rx.recvAsync(1000)) === 'full', 'receiver usable after a timeout');
    assert(codeOf(() => rx.tryRecv()) === 'EMPTY', 'the timed-out send enqueued nothing');
    tx.free();
    rx.free();
  },

  async s14_bad_tokens() {
    const [tx, rx] = channel(1);
    const t = tx.token();
    assert(codeOf(() => Sender.fromToken('fq1.s.00000000.1.00000000')) === 'INVALID', 'forged');
    assert(codeOf(() => Receiver.fromToken(t)) === 'INVALID', 'wrong kind');
    assert((await spawn('redeem', { token: t, kind: 'sender' }).done) === 'ok', 'redeemed in a worker');
    assert((await spawn('redeem', { token: t, kind: 'sender' }).done) === 'INVALID', 'stale');
    tx.free();
    rx.free();
  },
};

window.__results = (async () => {
  const results = [];
  try {
    shared = await init();
  } catch (e) {
    results.push({ name: 'init', ok: false, error: String(e?.message ?? e) });
    return results;
  }
  for (const [name, fn] of Object.entries(tests)) {
    const t0 = performance.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: performance.now() - t0 });
      log(`ok ${name}`);
    } catch (e) {
      results.push({ name, ok: false, error: String(e?.stack ?? e) });
      log(`not ok ${name}: ${e?.message ?? e}`);
    }
  }
  return results;
})();
