// Type-checks the published typings (index.d.ts, and the generated funnelq_wasm.d.ts):
// node_modules/.bin/tsc -p wasm/test/types   (run by ci/test-wasm.sh)
import {
  channel,
  canBlock,
  exitWorker,
  init,
  initWorker,
  MAX_BATCH,
  MAX_CAPACITY,
  MAX_MESSAGE_BYTES,
  pendingTokens,
  Receiver,
  releaseWorker,
  revokeToken,
  Sender,
  workerId,
  type ErrorCode,
  type Message,
  type MessageInput,
  type Options,
  type Shared,
  type SyncOptions,
} from '../../pkg/index.js';
import * as generated from '../../pkg/funnelq_wasm.js';

async function main(): Promise<void> {
  const shared: Shared = await init({ threadStackSize: 2 * 65536 });
  initWorker(shared);
  const [tx, rx] = channel(8);
  const ok: boolean = tx.trySend('a') && tx.trySend(new Uint8Array([1, 2, 3])) && tx.trySend(42);
  await tx.send('b', { timeout: 100 });
  tx.sendSync('c', { timeout: 5 });
  const n: number = tx.trySendBatch(['c', 'd', 1.5]) + (await tx.sendBatch(['e'])) + tx.sendBatchSync([]);
  const token: string = tx.share();
  const tx2: Sender = Sender.fromToken(token);
  const m: Message | undefined = rx.tryRecv();
  const batch: Message[] = await rx.recvBatch(4, { timeout: 50 });
  const opts: Options = { timeout: 50, signal: new AbortController().signal };
  const sync: SyncOptions = { timeout: 1 };
  const input: MessageInput = 7;
  await tx.send(input, opts);
  const one: Message = await rx.recv({ signal: AbortSignal.timeout(100) });
  const two: Message = rx.recvSync(sync);
  const three: Message[] = rx.recvBatchSync(2) .concat(rx.tryRecvBatch(2));
  const aborted: ErrorCode = 'ABORT_ERR';
  void [one, two, three, aborted];
  for await (const msg of rx) {
    const x: Message = msg;
    void x;
  }
  for (const msg of rx) void msg;
  const limits: number = MAX_CAPACITY + MAX_MESSAGE_BYTES + MAX_BATCH + pendingTokens();
  const state: boolean = canBlock() && revokeToken(token) && tx.close() && rx.closed && tx.closed;
  const sizes: number = tx.len + rx.len + tx.capacity + rx.capacity;
  const released: number = await releaseWorker(workerId());
  void [ok, n, m, batch, limits, state, sizes, released];
  {
    using scoped = tx.clone();
    scoped.trySend('x');
  }
  tx2.dispose();
  tx.dispose();
  rx[Symbol.dispose]();
  // The generated module's own declarations are complete too.
  const g: generated.Message = 1;
  void g;
  exitWorker();
}
void main;
