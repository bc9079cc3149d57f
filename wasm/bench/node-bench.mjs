// funnelq-wasm vs MessagePort.postMessage between Node worker_threads: P = 1, 2, 4
// producer workers → one consumer worker, small strings ("p:i") and 4 KiB Uint8Array.
// Prints a Markdown table (median msg/s) on stdout, progress on stderr.
// Usage (after bash wasm/build.sh):
//   node wasm/bench/node-bench.mjs [--budget SECONDS] [--run-ms MS] [--json FILE] [--quick]
//     --budget   stop after about this many seconds (default 30; --quick: 3)
//     --run-ms   aim for runs of this length once warmed up (default 250; --quick: 50)
//     --json     also write the report in ci/bench_report.py's schema to FILE
import { Worker } from 'node:worker_threads';
import { readFileSync, writeFileSync } from 'node:fs';
import { channel, init } from '../pkg/index.js';
import { markdownTable, options, report, runBench } from './bench-core.mjs';

const argv = process.argv.slice(2);
const get = (name) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return null;
  return argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[i + 1] : '';
};
const opts = options(get);
const jsonPath = get('json');

const shared = await init();
const WORKER = new URL('./bench-worker.mjs', import.meta.url);

function newWorker(onMessage, onError) {
  const w = new Worker(WORKER);
  w.on('message', onMessage);
  w.on('error', onError);
  return { post: (m, transfer) => w.postMessage(m, transfer), terminate: () => w.terminate() };
}

const log = (s) => console.error(`node-bench: ${s}`);
const pkg = JSON.parse(readFileSync(new URL('../pkg/package.json', import.meta.url), 'utf8'));
const environment = `Node ${process.version}, funnelq-wasm ${pkg.version}`;
log(`${environment}; budget ${opts.budgetSec} s, runs of ~${opts.runMs} ms`);
const { runs, results } = await runBench({ newWorker, channel, shared, log }, opts);
console.log(`Median of ${runs} runs per cell (after a warm-up round).\n`);
console.log(markdownTable(results));
if (jsonPath) {
  writeFileSync(jsonPath, `${JSON.stringify(report('WASM (Node workers)', environment, results), null, 2)}\n`);
}
// Terminated workers may still hold the event loop for a moment; nothing is left to wait for.
process.exit(0);
