// funnelq-wasm: the JavaScript surface shared with the Node package `funnelq`
// (same classes, members and meaning), plus the WebAssembly setup calls at the end.

/** What `recv` returns: bytes arrive as a fresh (non-shared) `Uint8Array`. */
export type Message = Uint8Array | string | number;
/** What `send` accepts: bytes (copied once), a string (UTF-8) or a number (f64). */
export type MessageInput = Uint8Array | string | number;

/** Options of the Promise forms. */
export interface Options {
  /** Give up after this many milliseconds (`TIMEOUT`); `Infinity` or absent: no bound. */
  timeout?: number;
  /** Aborting it rejects with an `AbortError` (`code: 'ABORT_ERR'`, `cause`: `signal.reason`). */
  signal?: AbortSignal;
}

/** Options of the blocking forms (a signal is a `TypeError`: a blocked thread cannot see it). */
export interface SyncOptions {
  /** Give up after this many milliseconds (`TIMEOUT`); `Infinity` or absent: no bound. */
  timeout?: number;
}

/** The values of `err.code` on every error this package throws or rejects with. */
export type ErrorCode = 'CLOSED' | 'TIMEOUT' | 'INVALID' | 'BUSY' | 'MAIN_THREAD' | 'ABORT_ERR';

/**
 * Creates a channel of exactly `capacity` slots (a whole number in `1..=MAX_CAPACITY`)
 * and returns `[sender, receiver]`. `INVALID`: a `TypeError` for a non-number, a
 * `RangeError` out of range or when the ring does not fit in the free wasm memory.
 */
export function channel(capacity: number): [Sender, Receiver];
/** Largest capacity `channel()` accepts (1048576). */
export const MAX_CAPACITY: number;
/** Largest message in bytes, strings measured as UTF-8 (67108864). */
export const MAX_MESSAGE_BYTES: number;
/** Largest batch length / `recvBatch` max (1048576). */
export const MAX_BATCH: number;
/** Drops an unredeemed token's handle; `false` if the token is not pending. */
export function revokeToken(token: string): boolean;
/** How many share tokens wait to be redeemed in this memory. */
export function pendingTokens(): number;

/** A sending handle. Cheap to `clone()`; pass one to a worker with `share()`. */
export declare class Sender {
  /** Resolves once enqueued, waiting off the thread while full; rejects `CLOSED`, `TIMEOUT`, `ABORT_ERR`. */
  send(msg: MessageInput, options?: Options): Promise<void>;
  /** Blocks (workers) while full; `MAIN_THREAD` on a browser main thread. */
  sendSync(msg: MessageInput, options?: SyncOptions): void;
  /** `false` = full (nothing enqueued); throws `CLOSED`. */
  trySend(msg: MessageInput): boolean;
  /** All of `msgs`, in order, waiting while full; resolves with the count (`err.sent` on failure). */
  sendBatch(msgs: MessageInput[], options?: Options): Promise<number>;
  /** Blocking batch send (workers). */
  sendBatchSync(msgs: MessageInput[], options?: SyncOptions): number;
  /** The longest prefix that fits now (0 when full); throws `CLOSED`. */
  trySendBatch(msgs: MessageInput[]): number;
  /** Another sender on the same channel. */
  clone(): Sender;
  /** Closes the channel for everyone; `true` if this call closed it. */
  close(): boolean;
  /** Releases this handle now (the last sender gone = end of stream, S12). */
  dispose(): void;
  /** Same as `dispose()`, for `using`. */
  [globalThis.Symbol.dispose](): void;
  /** A token for another worker; redeem it with `Sender.fromToken()`. */
  share(): string;
  /** Redeems a token from `share()` (once). */
  static fromToken(token: string): Sender;
  /** Messages queued now (a snapshot). */
  get len(): number;
  /** The capacity given to `channel()`. */
  get capacity(): number;
  /** Whether the channel is closed. */
  get closed(): boolean;
  /** wasm-bindgen's: frees the object at once (later calls throw without a code); prefer `dispose()`. */
  free(): void;
}

/** The receiving end (one per channel; not cloneable). */
export declare class Receiver {
  /** Resolves with the next message; rejects `CLOSED` at end of stream, `TIMEOUT`, `ABORT_ERR`, `BUSY`. */
  recv(options?: Options): Promise<Message>;
  /** Blocks (workers) until a message arrives. */
  recvSync(options?: SyncOptions): Message;
  /** `undefined` = empty now; throws `CLOSED` at end of stream. */
  tryRecv(): Message | undefined;
  /** Waits for the first, then up to `max` ready, in order. */
  recvBatch(max: number, options?: Options): Promise<Message[]>;
  /** Blocking batch receive (workers). */
  recvBatchSync(max: number, options?: SyncOptions): Message[];
  /** Up to `max` ready now (`[]` when none); throws `CLOSED` at end of stream. */
  tryRecvBatch(max: number): Message[];
  /** Closes the channel; `true` if this call closed it. */
  close(): boolean;
  /** Releases the receiver now: the channel closes and queued messages are released (S13). */
  dispose(): void;
  /** Same as `dispose()`, for `using`. */
  [globalThis.Symbol.dispose](): void;
  /** Moves the receiver into a token (this handle then throws `INVALID`). */
  share(): string;
  /** Redeems a token from `share()` (once). */
  static fromToken(token: string): Receiver;
  /** Messages waiting now (a snapshot). */
  get len(): number;
  /** The capacity given to `channel()`. */
  get capacity(): number;
  /** Whether the channel is closed. */
  get closed(): boolean;
  /** `recv()` until end of stream. */
  [globalThis.Symbol.asyncIterator](): AsyncIterator<Message>;
  /** `recvSync()` until end of stream (workers). */
  [globalThis.Symbol.iterator](): Iterator<Message>;
  /** wasm-bindgen's: frees the object at once (later calls throw without a code); prefer `dispose()`. */
  free(): void;
}

// ---- WebAssembly only: setup, threads, terminated workers (S21) ----

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
/** Whether this thread may use the blocking forms (`false` on a browser main thread). */
export function canBlock(): boolean;
/** Testing aid: make this thread behave as if it may (not) block. */
export function setCanBlockForTesting(canBlock: boolean): void;
/** This thread's id in the memory (what `releaseWorker()` takes). */
export function workerId(): number;
/**
 * Releases what a terminated worker still holds (its senders stop counting, its
 * receiver closes the channel); resolves with how many handles. Browsers: waits until
 * the worker has stopped (Web Locks). Without Web Locks (Node.js 20): call it after
 * the worker's `'exit'` event.
 */
export function releaseWorker(id: number): Promise<number>;
