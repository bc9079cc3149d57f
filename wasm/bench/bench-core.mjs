// The benchmark driver shared by node-bench.mjs (worker_threads) and browser-bench.mjs
// (web workers): P producer workers → one consumer worker, funnelq-wasm against
// MessagePort.postMessage, in rounds until a time budget is spent.
//
// Every round runs every cell (case × producers × impl) once, interleaved, so a burst
// of load from elsewhere on the machine hits all impls alike instead of one whole
// column. Round 0 is a warm-up whose figures are dropped; it and round 1 measure each
// cell's rate, from which later rounds size their message count so each run lasts about
// `runMs` (Chromium's postMessage is several times slower than funnelq, so a fixed count
// would spend most of the budget on it). Reported figure: the median over rounds 1 to N.

export const CASES = [
  { name: 'small strings', size: 0, first: 20_000 },
  { name: '4 KiB Uint8Array', size: 4096, first: 4_000 },
];
export const PLOT_CASE = CASES[0].name;
export const PRODUCERS = [1, 2, 4];
export const NATIVE = 'postMessage';
const BATCH = 64;
export const IMPLS = [
  { name: 'funnelq send', role: 'funnelq', batch: 0 },
  { name: `funnelq sendBatchSync(${BATCH})`, role: 'funnelq', batch: BATCH },
  { name: NATIVE, role: 'native' },
];
const CAPACITY = 1024;

// A pooled worker: `host.newWorker(onMessage, onError)` starts a bench-worker.mjs worker
// in the host's own way and returns { post(msg, transfer), terminate() }. Workers are
// reused across runs, as an application would keep them: no start-up inside the budget,
// and their code is already optimised after the warm-up round.
function pooled(host) {
  let cur = null;
  const w = host.newWorker(
    (m) => {
      if (!cur) return;
      if (m.ready) cur.ready();
      if (m.done) {
        const c = cur;
        cur = null;
        if (m.error) c.fail(new Error(m.error));
        else c.resolve(m.result);
      }
    },
    (e) => cur?.fail(e instanceof Error ? e : new Error(String(e))),
  );
  return {
    run(role, args, transfer = []) {
      const c = {};
      const ready = new Promise((resolve, reject) => Object.assign(c, { ready: resolve, readyFailed: reject }));
      const done = new Promise((resolve, reject) => Object.assign(c, { resolve, reject }));
      c.fail = (e) => {
        cur = null;
        c.readyFailed(e);
        c.reject(e);
      };
      // Unhandled if the run fails before anyone awaits it; timed() still sees the error.
      ready.catch(() => {});
      done.catch(() => {});
      cur = c;
      w.post({ role, args }, transfer);
      return { ready, done };
    },
    terminate: () => w.terminate(),
  };
}

async function timed(go, runs, consumer) {
  await Promise.all(runs.map((r) => r.ready));
  const g = new Int32Array(go);
  const t0 = performance.now();
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
  const r = await consumer.done;
  const ms = performance.now() - t0;
  await Promise.all(runs.map((w) => w.done));
  return { ms, received: r.received };
}

// pool[0] consumes, pool[1..P] produce.
function runFunnelq(env, pool, P, total, size, batch) {
  const [tx, rx] = env.channel(CAPACITY);
  const go = new SharedArrayBuffer(4);
  const consumer = pool[0].run('fqConsume', { shared: env.shared, token: rx.share(), go });
  const ps = [];
  for (let p = 0; p < P; p++) {
    const args = { shared: env.shared, token: tx.share(), p, n: total / P, size, go, batch };
    ps.push(pool[p + 1].run('fqProduce', args));
  }
  // Only the producers' clones may keep the channel open, so it closes when they finish.
  tx.dispose();
  return timed(go, [consumer, ...ps], consumer);
}

function runPostMessage(pool, P, total, size) {
  const go = new SharedArrayBuffer(4);
  const chans = Array.from({ length: P }, () => new MessageChannel());
  const ports = chans.map((c) => c.port2);
  const consumer = pool[0].run('pmConsume', { ports, total }, ports);
  const ps = chans.map((c, p) => {
    const args = { port: c.port1, p, n: total / P, size, go };
    return pool[p + 1].run('pmProduce', args, [c.port1]);
  });
  return timed(go, [consumer, ...ps], consumer);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs the benchmark. env: { newWorker, channel, shared, log } where log(line) reports
 * progress. budgetSec bounds the whole run: a new round starts only if the last one
 * would still fit, and none goes on past it. Returns { runs, results }: how many runs
 * each cell's median is over (text, "4" or "4–5") and `results` in the schema of
 * ci/bench_report.py (median msg/s per case, producers and impl).
 */
export async function runBench(env, { budgetSec = 30, runMs = 250 } = {}) {
  const started = performance.now();
  const cells = [];
  for (const kase of CASES) {
    for (const P of PRODUCERS) {
      for (const impl of IMPLS) cells.push({ kase, P, impl, total: kase.first, rates: [] });
    }
  }
  const pool = Array.from({ length: Math.max(...PRODUCERS) + 1 }, () => pooled(env));
  try {
    let lastRoundMs = 0;
    for (let round = 0; ; round++) {
      const elapsed = performance.now() - started;
      // Round 1 always runs: round 0 alone measures nothing.
      if (round > 1 && elapsed + lastRoundMs > budgetSec * 1000) break;
      const t0 = performance.now();
      for (const c of cells) {
        // A round slower than the last (load from elsewhere) is cut short at the budget:
        // its cells already done keep their extra run.
        if (round > 1 && performance.now() - started > budgetSec * 1000) break;
        const r = c.impl.role === 'native'
          ? await runPostMessage(pool, c.P, c.total, c.kase.size)
          : await runFunnelq(env, pool, c.P, c.total, c.kase.size, c.impl.batch);
        if (r.received !== c.total) {
          throw new Error(`${c.impl.name} lost messages: ${r.received} of ${c.total} (${c.kase.name}, P=${c.P})`);
        }
        const rate = (c.total / r.ms) * 1000;
        if (round > 0) c.rates.push(rate);
        // Sized from rounds 0 and 1 only: longer runs spend less of their time ramping up
        // and down and measure higher rates, so resizing every round keeps lengthening them.
        if (round < 2) {
          // Whole batches per producer keep every producer's share equal.
          const unit = c.P * BATCH;
          c.total = Math.max(unit, Math.round((rate * runMs) / 1000 / unit) * unit);
        }
      }
      lastRoundMs = performance.now() - t0;
      env.log(`round ${round}${round === 0 ? ' (warm-up)' : ''}: ${(lastRoundMs / 1000).toFixed(1)} s`);
    }
    // Releases each worker's wasm thread state; skipped after a failure, when a worker
    // may still be blocked in the channel.
    await Promise.all(pool.map((w) => w.run('exit', {}).done));
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  const counts = cells.map((c) => c.rates.length);
  const [least, most] = [Math.min(...counts), Math.max(...counts)];
  const runs = least === most ? `${least}` : `${least}–${most}`;
  const results = cells.map((c) => ({
    case: c.kase.name,
    producers: c.P,
    impl: c.impl.name,
    role: c.impl.role,
    msgs_per_sec: Math.round(median(c.rates)),
  }));
  return { runs, results };
}

/** The schema's whole report: language, native, command, environment, plot_case, results. */
export function report(language, environment, results, command = 'bash ci/bench-wasm.sh') {
  return { language, native: NATIVE, command, environment, plot_case: PLOT_CASE, results };
}

/** One Markdown table of a run: msg/s per impl, then each funnelq impl ÷ postMessage. */
export function markdownTable(results) {
  const fmt = (x) => Math.round(x).toLocaleString('en');
  const fq = IMPLS.filter((i) => i.role === 'funnelq');
  const head = ['messages', 'producers', ...IMPLS.map((i) => `${i.name} (msg/s)`),
    ...fq.map((i) => `${i.name} ÷ ${NATIVE}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const kase of CASES) {
    for (const P of PRODUCERS) {
      const rate = (name) =>
        results.find((r) => r.case === kase.name && r.producers === P && r.impl === name).msgs_per_sec;
      const row = [kase.name, P, ...IMPLS.map((i) => fmt(rate(i.name))),
        ...fq.map((i) => `${(rate(i.name) / rate(NATIVE)).toFixed(2)}×`)];
      lines.push(`| ${row.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** Options shared by both programs: --budget SECONDS, --run-ms MS, --quick. */
export function options(get) {
  const quick = get('quick') !== null;
  const opts = {
    budgetSec: Number(get('budget') ?? (quick ? 3 : 30)),
    runMs: Number(get('run-ms') ?? (quick ? 50 : 250)),
  };
  if (!(opts.budgetSec > 0) || !(opts.runMs > 0)) {
    throw new RangeError(
      `--budget and --run-ms must be positive numbers, not ${get('budget')} and ${get('run-ms')}`,
    );
  }
  return opts;
}
