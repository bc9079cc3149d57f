// funnelq-wasm: the one call on each side.
//
//   main thread:  const shared = await init();              // module + shared memory, once, first
//                 new Worker(url, { type: 'module' }).postMessage(shared);  // or Node workerData
//   each worker:  initWorker(shared);                        // same module, same memory
//
// Then channel(capacity) -> [tx, rx]; move handles between threads with
// tx.share() / Sender.fromToken(token) and rx.share() / Receiver.fromToken(token).
// The surface is the one the Node package `funnelq` has (see index.d.ts).
import * as glue from './funnelq_wasm.js';

const { initSync, Receiver, Sender } = glue;

export {
  channel,
  Sender,
  Receiver,
  canBlock,
  revokeToken,
  pendingTokens,
  workerId,
  setCanBlockForTesting,
} from './funnelq_wasm.js';

/** Largest capacity `channel()` accepts. */
export const MAX_CAPACITY = 1048576;
/** Largest message in bytes (a string counts its UTF-8 length). */
export const MAX_MESSAGE_BYTES = 67108864;
/** Largest batch: `sendBatch` length, `recvBatch` max. */
export const MAX_BATCH = 1048576;

/** How long `releaseWorker()` waits for a worker that never got its lifetime lock. */
const STARTUP_MS = 2000;
/**
 * How long `releaseWorker()` lets a stopping worker finish the funnelq call it is in
 * (a browser frees a terminated worker's locks before its thread has stopped); a
 * call still running after that never ends: the worker died inside it.
 */
const GRACE_MS = 100;

const ISOLATION_HELP =
  "funnelq-wasm needs SharedArrayBuffer: serve the page (and its workers) with the headers " +
  "'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp'";

let state = null; // { module, memory, threadStackSize } once this thread is initialised
let wasmExports = null;
let isMainInstance = false;

function checkIsolation() {
  if (typeof SharedArrayBuffer !== 'function' || globalThis.crossOriginIsolated === false) {
    throw new Error(ISOLATION_HELP);
  }
}

/** The module's limits must be the constants above (a stale build would differ). */
function checkLimits() {
  const l = glue.__limits();
  for (const [k, v] of Object.entries({ MAX_CAPACITY, MAX_MESSAGE_BYTES, MAX_BATCH })) {
    if (l[k] !== v) throw new Error(`funnelq-wasm: index.js says ${k} = ${v}, the module ${l[k]}: rebuild`);
  }
}

async function compile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source === undefined || source === null) {
    source = new URL('./funnelq_wasm_bg.wasm', import.meta.url);
  }
  if (typeof source === 'string') {
    source = new URL(source, globalThis.location?.href ?? import.meta.url);
  }
  if (source instanceof URL && source.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(source));
  }
  if (source instanceof URL) source = await fetch(source);
  if (typeof Response === 'function' && source instanceof Response) {
    if (!source.ok) {
      throw new Error(`funnelq-wasm: fetching ${source.url} failed: ${source.status} ${source.statusText}`);
    }
    return WebAssembly.compile(await source.arrayBuffer());
  }
  return WebAssembly.compile(source); // BufferSource
}

/**
 * Main thread, once, before any worker starts: compiles the module, creates the
 * shared memory, instantiates on it and returns `{ module, memory }` to hand to
 * every worker (`postMessage` or Node `workerData`). Idempotent.
 */
export async function init(options = {}) {
  if (state) return state;
  checkIsolation();
  const module = await compile(options.module);
  if (state) return state; // a concurrent init() won
  const threadStackSize = options.threadStackSize;
  wasmExports = initSync({ module, memory: options.memory, thread_stack_size: threadStackSize });
  isMainInstance = true;
  checkLimits();
  glue.workerId();
  state = Object.freeze({ module, memory: wasmExports.memory, threadStackSize });
  return state;
}

function lockName(id) {
  return `funnelq-worker:${glue.__memoryDomain().toString(16)}:${id}`;
}

/**
 * In each worker, before using the API: instantiates the module on the shared
 * memory from `init()` (this thread gets its own stack and thread-local storage),
 * and, where the host has Web Locks (browsers), takes a lock for the worker's
 * lifetime, by which `releaseWorker()` tells that the worker has stopped.
 * Idempotent per thread.
 */
export function initWorker(shared) {
  if (state) return state;
  if (
    !shared ||
    !(shared.module instanceof WebAssembly.Module) ||
    !(shared.memory instanceof WebAssembly.Memory) ||
    !(shared.memory.buffer instanceof SharedArrayBuffer)
  ) {
    throw new TypeError(
      'initWorker(shared) needs the { module, memory } object that init() returned on the main thread',
    );
  }
  wasmExports = initSync({
    module: shared.module,
    memory: shared.memory,
    thread_stack_size: shared.threadStackSize,
  });
  checkLimits();
  const id = glue.workerId();
  const locks = globalThis.navigator?.locks;
  if (locks && typeof locks.request === 'function') {
    // Held until this worker ends (the host drops it then, also on terminate()).
    locks
      .request(lockName(id), () => {
        glue.__workerLocked();
        return new Promise(() => {});
      })
      .catch(() => {});
  }
  state = Object.freeze({
    module: shared.module,
    memory: shared.memory,
    threadStackSize: shared.threadStackSize,
  });
  return state;
}

/** The `{ module, memory }` this thread was initialised with, or `null`. */
export function shared() {
  return state;
}

/**
 * Last call in a worker that is about to end: frees this thread's wasm stack and
 * thread-local storage in the shared memory. Dispose of this thread's handles
 * first; no funnelq call may follow on this thread.
 */
export function exitWorker() {
  if (!state || isMainInstance || !wasmExports) return;
  wasmExports.__wbindgen_thread_destroy();
  wasmExports = null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function invalid(ErrorType, message) {
  return Object.assign(new ErrorType(message), { code: 'INVALID' });
}

/**
 * Releases the handles a worker still holds after it was terminated from outside
 * (`worker.terminate()`), which runs none of its cleanup: its senders stop counting
 * (the receiver sees end of stream once the others are gone, S12), its receiver
 * closes the channel (S13), also a handle it was using when it stopped. `id` is the
 * worker's `workerId()`. Resolves with how many handles were released.
 *
 * Browsers: waits until the worker is stopping (the Web Lock it took in
 * `initWorker()` is free), so call it right after `terminate()`. Hosts without Web
 * Locks (Node.js 20): call it once the worker has stopped — after its `'exit'`
 * event. A worker that never got its lock counts as stopped 2 s after it
 * registered. Then the worker's calls refuse, and the call it may still be in gets
 * 100 ms to end (past that it died inside it) before its handles are released.
 */
export async function releaseWorker(id) {
  if (typeof id !== 'number') throw invalid(TypeError, 'a worker id must be a number (from workerId())');
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) {
    throw invalid(RangeError, `worker id ${id} is out of range 1..=4294967295`);
  }
  let [known, locked, started] = glue.__workerState(id);
  if (!known) throw invalid(Error, `no worker with id ${id} ever used funnelq in this memory`);
  const locks = globalThis.navigator?.locks;
  if (locks && typeof locks.request === 'function') {
    while (!locked && Date.now() - started < STARTUP_MS) {
      await sleep(10);
      [, locked] = glue.__workerState(id);
    }
    if (locked) await locks.request(lockName(id), () => {});
  }
  glue.__releaseBegin(id); // its calls refuse from now on
  const end = performance.now() + GRACE_MS;
  while (glue.__workerBusy(id) > 0 && performance.now() < end) await sleep(1);
  return glue.__releaseWorker(id);
}

// `using tx = ...` / `tx[Symbol.dispose]()`: the same as dispose() (wasm-bindgen
// makes it free(), which would leave later calls without an error code).
const disposeSymbol = Symbol.dispose ?? Symbol.for('nodejs.dispose');
for (const C of [Sender, Receiver]) {
  Object.defineProperty(C.prototype, disposeSymbol, {
    value: function dispose() {
      this.dispose();
    },
    writable: true,
    configurable: true,
  });
}

// Iteration ends at end of stream: `for await (const m of rx)` anywhere,
// `for (const m of rx)` (blocking, recvSync) in workers.
Receiver.prototype[Symbol.asyncIterator] = async function* messages() {
  for (;;) {
    let m;
    try {
      m = await this.recv();
    } catch (e) {
      if (e?.code === 'CLOSED') return;
      throw e;
    }
    yield m;
  }
};

Receiver.prototype[Symbol.iterator] = function* messages() {
  for (;;) {
    let m;
    try {
      m = this.recvSync();
    } catch (e) {
      if (e?.code === 'CLOSED') return;
      throw e;
    }
    yield m;
  }
};
