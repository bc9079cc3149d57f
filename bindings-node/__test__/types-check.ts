// Compile-only check of the committed index.d.ts (run by ci/test-node.sh with tsc --noEmit):
// the JavaScript surface shared with the WebAssembly package, used as a TypeScript user would.
import {
  channel,
  Sender,
  Receiver,
  MAX_CAPACITY,
  MAX_MESSAGE_BYTES,
  MAX_BATCH,
  revokeToken,
  pendingTokens,
  liveHandles,
} from '..'
import type { Message, MessageInput, Options, SyncOptions, ErrorCode } from '..'

async function usage(): Promise<number> {
  const [tx, rx]: [Sender, Receiver] = channel(16)
  const input: MessageInput = new Uint8Array(4)
  await tx.send(input)
  await tx.send('text', { timeout: 100 } satisfies Options)
  const ok: boolean = tx.trySend(Buffer.from('x'))
  tx.sendSync(3.5, { timeout: 10 } satisfies SyncOptions)
  const n: number = tx.trySendBatch([1, 'two', Buffer.alloc(3)])
  const all: number = await tx.sendBatch(['a', 'b'], { signal: AbortSignal.timeout(100) })
  const allSync: number = tx.sendBatchSync([1, 2], { timeout: 5 })
  const m: Message = await rx.recv({ timeout: 50 })
  const maybe: Message | undefined = rx.tryRecv()
  const batch: Message[] = await rx.recvBatch(MAX_BATCH, { signal: AbortSignal.timeout(1000) })
  const ready: Message[] = rx.tryRecvBatch(8)
  const one: Message = rx.recvSync({ timeout: 1 })
  const some: Message[] = rx.recvBatchSync(4)
  for await (const x of rx) {
    if (Buffer.isBuffer(x)) x.readUInt8(0)
    else if (typeof x === 'string') x.toUpperCase()
    else x.toFixed(1)
  }
  for (const x of rx) void x
  const it: AsyncIterator<Message> = rx[Symbol.asyncIterator]()
  const step = await it.next()
  const tok: string = tx.share()
  const tx2: Sender = Sender.fromToken(tok)
  const closedNow: boolean = tx2.close()
  tx2[Symbol.dispose]()
  {
    using scoped = tx.clone()
    scoped.trySend(1)
  }
  try {
    rx.tryRecv()
  } catch (e) {
    const code = (e as { code: ErrorCode }).code
    if (code === 'CLOSED' || code === 'BUSY') void code
  }
  const rt: string = rx.share()
  const rx2: Receiver = Receiver.fromToken(rt)
  rx2.dispose()
  void [ok, n, all, allSync, m, maybe, batch, ready, one, some, step, closedNow, revokeToken(tok), pendingTokens(), liveHandles()]
  return MAX_CAPACITY + MAX_MESSAGE_BYTES + tx.len + rx2.capacity + Number(rx2.closed)
}
void usage
