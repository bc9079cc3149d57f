// S21 participant failure: workers terminated at random moments under load. A
// terminated worker runs none of its cleanup, so the test releases what it held with
// releaseWorker(id) after its 'exit' event (Node.js has no Web Locks to wait on), and
// checks every round: the survivors finish, no message is lost or duplicated, and each
// producer's messages arrive in order — a terminated producer's as a prefix that ends
// where it was cut (the send it was in went in, or not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { channel, init, pendingTokens, releaseWorker, revokeToken } from '../pkg/index.js';

// Small stacks: a terminated worker's stack stays allocated in the shared memory
// (its waiter records may live there), so 200 rounds must not exhaust it.
const shared = await init({ threadStackSize: 4 * 65536 });

const ROUNDS = Number(process.env.FUNNELQ_S21_ROUNDS ?? 200);
// Whole-test budget on a busy 2-core box, and one round's (a hang fails, it is not waited out).
const BUDGET_MS = 60_000;
const ROUND_MS = 10_000;

/** A worker that runs tasks one after another (test/pool-worker.mjs). */
class PoolWorker {
  constructor() {
    this.worker = new Worker(new URL('./pool-worker.mjs', import.meta.url), { workerData: { shared } });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.ready = new Promise((resolve) => this.worker.once('message', resolve));
    this.seq = 0;
  }

  /** Runs `task(args)` there; `.done` settles with its result (never, if terminated). */
  run(task, args) {
    const seq = ++this.seq;
    const done = new Promise((resolve, reject) => {
      const on = (m) => {
        if (m.seq !== seq) return;
        this.worker.off('message', on);
        if (m.ok) resolve(m.result);
        else reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      };
      this.worker.on('message', on);
    });
    done.catch(() => {});
    this.worker.postMessage({ seq, task, args });
    return { done, pw: this };
  }
}

/** Ready workers, and spares starting (worker start-up dominates a round otherwise). */
const pool = [];
const take = async () => {
  while (pool.length < 12) pool.push(new PoolWorker());
  const w = pool.shift();
  await w.ready;
  return w;
};
const retire = (w) => pool.push(w); // a survivor serves again

/** Polls `cond` every millisecond until it holds or `ms` pass. */
async function until(cond, ms) {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
  return true;
}

function within(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

let seed = 21;
const random = (n) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;

/** One round: P producer workers (one terminated at a random moment) into a consumer worker. */
async function producerRound(round) {
  const P = 3;
  const N = 300;
  const [tx, rx] = channel(1 + random(4)); // small: producers block in sendSync
  const cw = await take();
  const consumer = cw.run('consume', { token: rx.share(), producers: P, max: 1 + random(32) });
  rx.dispose();
  const ids = new SharedArrayBuffer(4 * P);
  const progress = new SharedArrayBuffer(4 * P);
  const tokens = [];
  const ws = [];
  for (let p = 0; p < P; p++) {
    tokens.push(tx.share());
    ws.push((await take()).run('s21Producer', { token: tokens[p], producer: p, n: N, ids, progress }));
  }
  tx.dispose();
  const victim = random(P);
  const cutAt = random(N); // terminate once the victim has sent this many (or later)
  const idView = new Int32Array(ids);
  const progView = new Int32Array(progress);
  // Terminate only once the victim runs (initWorker done): see the README's S21 notes.
  assert.ok(await until(() => Atomics.load(idView, victim) !== 0, ROUND_MS), 'victim started');
  await until(() => Atomics.load(progView, victim) >= cutAt, ROUND_MS);
  const id = Atomics.load(idView, victim);
  await ws[victim].pw.worker.terminate();
  await ws[victim].pw.exited;
  const acknowledged = Atomics.load(progView, victim);
  // It redeemed its token (it ran), so what it holds is its sender: release it (S12).
  assert.equal(revokeToken(tokens[victim]), false);
  assert.ok((await releaseWorker(id)) <= 1);
  for (let p = 0; p < P; p++) {
    if (p !== victim) assert.deepEqual(await within(ws[p].done, ROUND_MS, `round ${round}: producer ${p}`), { sent: N });
  }
  const got = await within(consumer.done, ROUND_MS, `round ${round}: the consumer`);
  retire(cw);
  ws.forEach((w, p) => p !== victim && retire(w.pw));
  assert.equal(got.errors, 0, `round ${round}: every producer in order, each message once`);
  for (let p = 0; p < P; p++) {
    if (p !== victim) {
      assert.equal(got.next[p], N, `round ${round}: survivor ${p} delivered all`);
    } else {
      // Everything that returned OK arrived, plus at most the send it was cut in.
      const n = got.next[p];
      assert.ok(n === acknowledged || n === acknowledged + 1, `round ${round}: victim ${n} vs ${acknowledged} acknowledged`);
    }
  }
}

/** One round: the consumer worker is terminated; the producers (here) must not hang. */
async function consumerRound(round) {
  const [tx, rx] = channel(1 + random(8));
  const ids = new SharedArrayBuffer(4);
  const got = new SharedArrayBuffer(4);
  const c = (await take()).run('s21Consumer', { token: rx.share(), slot: 0, ids, got });
  rx.dispose();
  await until(() => Atomics.load(new Int32Array(ids), 0) !== 0, ROUND_MS);
  const id = Atomics.load(new Int32Array(ids), 0);
  const cut = random(200);
  let sent = 0;
  const killer = (async () => {
    await until(() => Atomics.load(new Int32Array(got), 0) >= cut || sent >= 1000, ROUND_MS);
    await c.pw.worker.terminate();
    await c.pw.exited;
    // Its receiver goes: the channel closes, waiting senders wake (S13).
    assert.equal(await releaseWorker(id), 1);
  })();
  let closed = false;
  while (!closed) {
    try {
      await tx.send(`${sent}`);
      sent++;
    } catch (e) {
      assert.equal(e.code, 'CLOSED');
      closed = true;
    }
  }
  await within(killer, ROUND_MS, `round ${round}: the release`);
  const received = Atomics.load(new Int32Array(got), 0);
  // What the dead consumer took in its last receive may be lost with it; never more.
  assert.ok(received <= sent, `round ${round}: received ${received} of ${sent}`);
  tx.dispose();
}

test('s21_participant_failure: workers terminated at random moments under load (Node workers)', async () => {
  const t0 = performance.now();
  let rounds = 0;
  let next = 0;
  // Rounds run in 3 lanes at once: a round mostly waits (worker start-up, termination),
  // and the lanes keep the 2 cores busy meanwhile.
  const lane = async () => {
    for (let r = next++; r < ROUNDS && performance.now() - t0 < BUDGET_MS; r = next++) {
      if (r % 4 === 3) await consumerRound(r);
      else await producerRound(r);
      rounds++;
    }
  };
  await Promise.all([lane(), lane(), lane()]);
  assert.ok(rounds >= Math.min(ROUNDS, 50), `only ${rounds} rounds in ${BUDGET_MS} ms`);
  assert.equal(pendingTokens(), 0);
  await Promise.all(pool.splice(0).map((w) => w.worker.terminate()));
  console.log(`s21: ${rounds} rounds in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

test('s21_participant_failure: releaseWorker refuses bad ids and its own thread', async () => {
  await assert.rejects(releaseWorker('1'), { code: 'INVALID', name: 'TypeError' });
  await assert.rejects(releaseWorker(0), { code: 'INVALID', name: 'RangeError' });
  await assert.rejects(releaseWorker(1.5), { code: 'INVALID', name: 'RangeError' });
  await assert.rejects(releaseWorker(0x7fffffff), { code: 'INVALID', message: /no worker with id/ });
  const { workerId } = await import('../pkg/index.js');
  await assert.rejects(releaseWorker(workerId()), { code: 'INVALID', message: /own handles/ });
});

test('s21_participant_failure: a message the receiver cannot deliver goes back to the front', async () => {
  const [tx, rx] = channel(4);
  const big = (b) => new Uint8Array(5000).fill(b);
  for (const m of [big(1), big(2), 'é'.repeat(3000)]) tx.trySend(m);
  // The copy out into the JS heap fails (as when it is exhausted; only copies this
  // large, so the module's own short strings still pass): nothing is lost.
  const slice = Uint8Array.prototype.slice;
  Uint8Array.prototype.slice = function (start, end) {
    if (end - start >= 4096) throw new RangeError('Array buffer allocation failed');
    return slice.call(this, start, end);
  };
  let errors;
  try {
    errors = [
      (() => { try { rx.tryRecv(); } catch (e) { return e; } })(),
      (() => { try { rx.tryRecvBatch(8); } catch (e) { return e; } })(),
      await rx.recvBatch(8).catch((e) => e),
    ];
  } finally {
    Uint8Array.prototype.slice = slice;
  }
  for (const e of errors) {
    assert.ok(e instanceof RangeError, String(e));
    assert.equal(e.code, 'INVALID');
    assert.match(e.message, /could not be copied into the JS heap .* it stays first in the channel/);
  }
  assert.equal(rx.len, 3);
  assert.deepEqual(rx.tryRecv(), big(1));
  const rest = rx.tryRecvBatch(8);
  assert.deepEqual(rest[0], big(2));
  assert.equal(rest[1], 'é'.repeat(3000));
  tx.dispose();
  rx.dispose();
});
