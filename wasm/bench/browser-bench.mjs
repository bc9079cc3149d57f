// node-bench.mjs in a browser page, with web workers. Query: ?budget=SECONDS&run-ms=MS
// or ?quick. Shows the table in the page and leaves { runs, results, table } in
// window.__bench (run-browser.mjs reads it); progress goes to the console.
import { channel, init } from '../pkg/index.js';
import { markdownTable, options, runBench } from './bench-core.mjs';

const params = new URLSearchParams(location.search);
const opts = options((name) => params.get(name));
const out = document.getElementById('out');
const log = (s) => {
  console.log(`browser-bench: ${s}`);
  out.textContent += `\n${s}`;
};

try {
  const shared = await init();
  const WORKER = new URL('./bench-worker.mjs', import.meta.url);
  const newWorker = (onMessage, onError) => {
    const w = new Worker(WORKER, { type: 'module' });
    w.onmessage = ({ data }) => onMessage(data);
    w.onerror = (e) => onError(new Error(e.message));
    return { post: (m, transfer) => w.postMessage(m, transfer), terminate: () => w.terminate() };
  };
  log(`${navigator.userAgent}, ${navigator.hardwareConcurrency} CPUs; ` +
    `budget ${opts.budgetSec} s, runs of ~${opts.runMs} ms`);
  const { runs, results } = await runBench({ newWorker, channel, shared, log }, opts);
  const table = markdownTable(results);
  out.textContent += `\n\nMedian of ${runs} runs per cell (after a warm-up round).\n\n${table}`;
  window.__bench = { runs, results, table };
} catch (e) {
  log(`failed: ${e?.stack ?? e}`);
  window.__bench = { error: `${e?.message ?? e}` };
}
