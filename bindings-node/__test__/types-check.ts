// Compile-only check of the committed index.d.ts (run by ci/test-node.sh with tsc --noEmit).
import { channel, Sender, Receiver, MAX_CAPACITY, revokeToken, pendingTokens, liveHandles } from '..'
import type { Message, MessageInput, TimeoutOptions } from '..'

async function usage(): Promise<number> {
  const [tx, rx]: [Sender, Receiver] = channel(16)
  const input: MessageInput = new Uint8Array(4)
  await tx.send(input)
  await tx.send('text', { timeout: 100 })
  const ok: boolean = tx.trySend(Buffer.from('x'))
  tx.sendSync(3.5)
  const n: number = tx.trySendBatch([1, 'two', Buffer.alloc(3)])
  const m: Message = await rx.recv({ timeout: 50 } satisfies TimeoutOptions)
  const maybe: Message | undefined = rx.tryRecv()
  const batch: Message[] = await rx.recvBatch(8, { signal: AbortSignal.timeout(1000) })
  await tx.send('x', { timeout: 10, signal: new AbortController().signal })
  for await (const x of rx) {
    if (Buffer.isBuffer(x)) x.readUInt8(0)
    else if (typeof x === 'string') x.toUpperCase()
    else x.toFixed(1)
  }
  const tok: string = tx.share()
  const tx2: Sender = Sender.fromToken(tok)
  const closedNow: boolean = tx2.close()
  rx.dispose()
  void [ok, n, m, maybe, batch, closedNow, revokeToken, pendingTokens(), liveHandles()]
  return MAX_CAPACITY + tx.len + rx.capacity + Number(rx.closed)
}
void usage
