// funnelq-wasm: the one call on each side.
//
//   main thread:  const shared = await init();              // module + shared memory, once, first
//                 new Worker(url, { type: 'module' }).postMessage(shared);  // or Node workerData
//   each worker:  initWorker(shared);                        // same module, same memory
//
// Then channel(capacity) -> [sender, receiver]; move handles between threads with
// sender.token() / Sender.fromToken(token) and receiver.token() / Receiver.fromToken(token).
import { initSync, Receiver } from './funnelq_wasm.js';

export {
  channel,
  Sender,
  Receiver,
  canBlock,
  dropToken,
  pendingTokens,
  maxCapacity,
  maxMessageBytes,
  setCanBlockForTesting,
} from './funnelq_wasm.js';

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
  state = Object.freeze({ module, memory: wasmExports.memory, threadStackSize });
  return state;
}

/**
 * In each worker, before using the API: instantiates the module on the shared
 * memory from `init()` (this thread gets its own stack and thread-local storage).
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
 * thread-local storage in the shared memory. Free this thread's handles first;
 * no funnelq call may follow on this thread.
 */
export function exitWorker() {
  if (!state || isMainInstance || !wasmExports) return;
  wasmExports.__wbindgen_thread_destroy();
  wasmExports = null;
}

// Iteration ends at end-of-stream: `for await (const m of rx)` anywhere,
// `for (const m of rx)` (blocking) in workers.
Receiver.prototype[Symbol.asyncIterator] = async function* messages() {
  for (;;) {
    let m;
    try {
      m = await this.recvAsync();
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
      m = this.recv();
    } catch (e) {
      if (e?.code === 'CLOSED') return;
      throw e;
    }
    yield m;
  }
};
