// The Node-workers benchmark (node-bench.mjs) in a browser, with web workers.
import { channel, init } from '../pkg/index.js';

const quick = new URLSearchParams(location.search).has('quick');
const out = document.getElementById('out');
const lines = [];
const say = (s) => {
  lines.push(s);
  out.textContent = lines.join('\n');
};
const shared = await init();
const WORKER = new URL('./bench-worker.mjs', import.meta.url);

function start(role, args, transfer = []) {
  const w = new Worker(WORKER, { type: 'module' });
  let readyResolve;
  const ready = new Promise((r) => (readyResolve = r));
  const done = new Promise((resolve, reject) => {
    w.onmessage = ({ data: m }) => {
      if (m.ready) readyResolve();
      if (m.done) (m.error ? reject(new Error(m.error)) : resolve(m.result));
    };
    w.onerror = (e) => reject(new Error(e.message));
  });
  w.postMessage({ role, args }, transfer);
  return { w, ready, done };
}

async function timed(go, workers, consumer) {
  await Promise.all(workers.map((w) => w.ready));
  const g = new Int32Array(go);
  const t0 = performance.now();
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
  const r = await consumer.done;
  const ms = performance.now() - t0;
  await Promise.all(workers.map((w) => w.done));
  for (const w of workers) w.w.terminate();
  return { ms, received: r.received };
}

async function funnelq(P, total, size, batch = 0) {
  const [tx, rx] = channel(1024);
  const go = new SharedArrayBuffer(4);
  const consumer = start('fqConsume', { shared, token: rx.token(), go });
  const ps = [];
  for (let p = 0; p < P; p++) ps.push(start('fqProduce', { shared, token: tx.token(), p, n: total / P, size, go, batch }));
  tx.free();
  return timed(go, [consumer, ...ps], consumer);
}

async function postMessageRun(P, total, size) {
  const go = new SharedArrayBuffer(4);
  const chans = Array.from({ length: P }, () => new MessageChannel());
  const ports = chans.map((c) => c.port2);
  const consumer = start('pmConsume', { ports, total }, ports);
  const ps = chans.map((c, p) => start('pmProduce', { port: c.port1, p, n: total / P, size, go }, [c.port1]));
  return timed(go, [consumer, ...ps], consumer);
}

const rows = [];
const kinds = [
  { name: 'small ("p:i" string)', size: 0, total: quick ? 40_000 : 200_000 },
  { name: '4 KiB Uint8Array', size: 4096, total: quick ? 8_000 : 40_000 },
];
say(`${navigator.userAgent}, ${navigator.hardwareConcurrency} CPUs; best of ${quick ? 1 : 3} runs per cell`);
for (const kind of kinds) {
  for (const P of [1, 2, 4]) {
    const best = { fq: Infinity, fqb: Infinity, pm: Infinity };
    for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
      const f = await funnelq(P, kind.total, kind.size);
      if (f.received !== kind.total) throw new Error(`funnelq lost messages: ${f.received}`);
      best.fq = Math.min(best.fq, f.ms);
      const fb = await funnelq(P, kind.total, kind.size, 64);
      best.fqb = Math.min(best.fqb, fb.ms);
      const m = await postMessageRun(P, kind.total, kind.size);
      if (m.received !== kind.total) throw new Error(`postMessage lost messages: ${m.received}`);
      best.pm = Math.min(best.pm, m.ms);
    }
    const rate = (ms) => (kind.total / ms) * 1000;
    rows.push({ kind: kind.name, P, total: kind.total, fq: rate(best.fq), fqb: rate(best.fqb), pm: rate(best.pm) });
    say(`${kind.name}, ${P} producer(s): done`);
  }
}
const f = (x) => Math.round(x).toLocaleString('en');
say('\n| messages | producers | total | funnelq send | funnelq sendBatch(64) | postMessage | send / pM | batch / pM |');
say('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  say(`| ${r.kind} | ${r.P} | ${r.total} | ${f(r.fq)} | ${f(r.fqb)} | ${f(r.pm)} | ${(r.fq / r.pm).toFixed(2)}x | ${(r.fqb / r.pm).toFixed(2)}x |`);
}
window.__bench = lines.join('\n');
