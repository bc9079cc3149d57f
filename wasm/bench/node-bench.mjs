// funnelq-wasm vs postMessage between Node worker_threads: P producer workers, one
// consumer worker, small ("p:i" strings) and 4 KiB Uint8Array messages.
// Usage: node wasm/bench/node-bench.mjs [--quick]   (after bash wasm/build.sh)
import { Worker, MessageChannel } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { channel, init } from '../pkg/index.js';

const quick = process.argv.includes('--quick');
const shared = await init();
const WORKER = new URL('./bench-worker.mjs', import.meta.url);

function start(role, args, transfer = []) {
  const w = new Worker(WORKER);
  let readyResolve;
  const ready = new Promise((r) => (readyResolve = r));
  const done = new Promise((resolve, reject) => {
    w.on('message', (m) => {
      if (m.ready) readyResolve();
      if (m.done) (m.error ? reject(new Error(m.error)) : resolve(m.result));
    });
    w.on('error', reject);
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
  for (const w of workers) await w.w.terminate();
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

async function postMessage(P, total, size) {
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
console.log(`node ${process.version}, ${availableParallelism()} CPUs; best of ${quick ? 1 : 3} runs per cell`);
for (const kind of kinds) {
  for (const P of [1, 2, 4]) {
    const best = { fq: Infinity, fqb: Infinity, pm: Infinity };
    for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
      const f = await funnelq(P, kind.total, kind.size);
      if (f.received !== kind.total) throw new Error(`funnelq lost messages: ${f.received}`);
      best.fq = Math.min(best.fq, f.ms);
      const fb = await funnelq(P, kind.total, kind.size, 64);
      if (fb.received !== kind.total) throw new Error(`funnelq lost messages: ${fb.received}`);
      best.fqb = Math.min(best.fqb, fb.ms);
      const m = await postMessage(P, kind.total, kind.size);
      if (m.received !== kind.total) throw new Error(`postMessage lost messages: ${m.received}`);
      best.pm = Math.min(best.pm, m.ms);
    }
    const fq = (kind.total / best.fq) * 1000;
    const fqb = (kind.total / best.fqb) * 1000;
    const pm = (kind.total / best.pm) * 1000;
    rows.push({ kind: kind.name, P, total: kind.total, fq, fqb, pm });
    console.log(`${kind.name}, ${P} producer(s), ${kind.total} msgs: funnelq ${Math.round(fq)} msg/s, ` +
      `funnelq sendBatch(64) ${Math.round(fqb)} msg/s, postMessage ${Math.round(pm)} msg/s`);
  }
}
const f = (x) => Math.round(x).toLocaleString('en');
console.log('\n| messages | producers | total | funnelq send | funnelq sendBatch(64) | postMessage | send / pM | batch / pM |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.kind} | ${r.P} | ${r.total} | ${f(r.fq)} | ${f(r.fqb)} | ${f(r.pm)} | ${(r.fq / r.pm).toFixed(2)}x | ${(r.fqb / r.pm).toFixed(2)}x |`);
}
process.exit(0);
