// Type-checks the published typings (index.d.ts + the wasm-bindgen .d.ts):
// node_modules/.bin/tsc -p wasm/test/types   (run by ci/test-wasm.sh)
import {
  channel,
  canBlock,
  dropToken,
  exitWorker,
  init,
  initWorker,
  Receiver,
  Sender,
  type AsyncOptions,
  type ErrorCode,
  type Message,
  type Shared,
} from '../../pkg/index.js';

async function main(): Promise<void> {
  const shared: Shared = await init({ threadStackSize: 2 * 65536 });
  initWorker(shared);
  const [tx, rx] = channel(8);
  tx.trySend('a');
  tx.trySend(new Uint8Array([1, 2, 3]));
  await tx.sendAsync('b', 100);
  const n: number = tx.trySendBatch(['c', 'd']);
  const token: string = tx.token();
  const tx2: Sender = Sender.fromToken(token);
  const m: Message = rx.tryRecv();
  const batch: Message[] = await rx.recvBatchAsync(4, 50);
  const opts: AsyncOptions = { timeout: 50, signal: new AbortController().signal };
  await tx.sendAsync('e', opts);
  const one: Message = await rx.recvAsync({ signal: AbortSignal.timeout(100) });
  const aborted: ErrorCode = 'ABORT_ERR';
  void [one, aborted];
  for await (const msg of rx) {
    const x: Message = msg;
    void x;
  }
  const code: ErrorCode = 'FULL';
  const b: boolean = canBlock() && dropToken(token) && tx.close() && rx.isClosed();
  void [n, m, batch, code, b];
  tx2.free();
  tx.free();
  rx.free();
  exitWorker();
}
void main;
