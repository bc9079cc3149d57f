// Test harness: the main thread initialises once (first), workers run named tasks
// from tasks.mjs on the same module and memory.
import { Worker } from 'node:worker_threads';
import { init } from '../pkg/index.js';

export const shared = await init();

/** Starts `tasks[task](args)` in a new worker; `.done` resolves with its result. */
export function spawn(task, args = {}) {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
    workerData: { shared, task, args },
  });
  const done = new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (m) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else reject(Object.assign(new Error(`worker ${task}: ${m.error.message}`), m.error));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`worker ${task} exited with ${code} before answering`));
    });
  });
  return { worker, done };
}

/** Runs a task in a worker and returns its result. */
export function run(task, args) {
  return spawn(task, args).done;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms until it holds or `ms` pass; returns whether it held. */
export async function until(cond, ms = 5000) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (cond()) return true;
    await sleep(5);
  }
  return cond();
}

/** `fn()` must throw an error with `err.code === code`; returns the error. */
export function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return 'no error';
}

/** The error `fn()` throws (or null). */
export function errorOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

/** Loose upper bound for timing assertions on a busy 2-core box. */
export const SLACK_MS = 1500;
