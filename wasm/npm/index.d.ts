// Types for the hand-written setup module; the API classes come from wasm-bindgen.
import { Receiver } from './funnelq_wasm.js';

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
export type { AsyncOptions } from './funnelq_wasm.js';

/** A message: what `send` accepts and `recv` returns. */
export type Message = Uint8Array | string;

/** The error codes on `err.code`. */
export type ErrorCode =
  | 'FULL'
  | 'EMPTY'
  | 'CLOSED'
  | 'TIMEOUT'
  | 'INVALID'
  | 'BUSY'
  | 'MAIN_THREAD'
  | 'ABORT_ERR';

/** What `init()` returns and every worker passes to `initWorker()`. */
export interface Shared {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly threadStackSize?: number;
}

export interface InitOptions {
  /** The compiled module, its URL, a `Response` or the bytes (default: the bundled `.wasm`). */
  module?: WebAssembly.Module | URL | string | Response | BufferSource;
  /** A shared memory to use instead of a new one (`shared: true`, maximum 16384 pages). */
  memory?: WebAssembly.Memory;
  /** Stack size per worker thread in bytes (a multiple of 65536; default 1 MiB). */
  threadStackSize?: number;
}

/** Main thread, once, before any worker: returns `{ module, memory }` for the workers. */
export function init(options?: InitOptions): Promise<Shared>;
/** In each worker, first: instantiate on the shared memory from `init()`. */
export function initWorker(shared: Shared): Shared;
/** The `Shared` this thread was initialised with, or `null`. */
export function shared(): Shared | null;
/** Last call in a worker that ends: frees its wasm stack and thread-local storage. */
export function exitWorker(): void;

declare module './funnelq_wasm.js' {
  interface Receiver {
    /** Receives until end-of-stream (`recvAsync`). */
    [Symbol.asyncIterator](): AsyncGenerator<Message, void, undefined>;
    /** Receives until end-of-stream, blocking (`recv`; workers only). */
    [Symbol.iterator](): Generator<Message, void, undefined>;
  }
}
