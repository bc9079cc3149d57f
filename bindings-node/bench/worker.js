'use strict'
// Bench producer: waits for the start flag, then sends `count` payloads by `mode`.
const { workerData, parentPort } = require('node:worker_threads')
const { Sender } = require('..')

const { mode, count, payload, token, flags, window, batch } = workerData
const f = new Int32Array(flags) // [0] start flag, [1 + id] credits consumed by main for this worker
const id = workerData.id
const msg = payload === 'small' ? 42 : Buffer.alloc(payload === '64' ? 64 : 4096, 7)

const tx = token ? Sender.fromToken(token) : null
parentPort.postMessage('ready')
Atomics.wait(f, 0, 0)

if (mode === 'funnelq') {
  for (let i = 0; i < count; i++) tx.sendSync(msg)
} else if (mode === 'funnelq-batch') {
  const chunk = new Array(batch).fill(msg)
  for (let i = 0; i < count; i += batch) tx.sendBatchSync(i + batch <= count ? chunk : chunk.slice(0, count - i))
} else if (mode === 'postMessage') {
  for (let i = 0; i < count; i++) parentPort.postMessage(msg)
} else if (mode === 'postMessage-credit') {
  // Bounded like funnelq: at most `window` messages in flight; main returns credits
  // through a shared counter and Atomics.notify (the 50 ms timeout only guards
  // against a missed notify).
  for (let i = 0; i < count; i++) {
    for (;;) {
      const consumed = Atomics.load(f, 1 + id)
      if (i - consumed < window) break
      Atomics.wait(f, 1 + id, consumed, 50)
    }
    parentPort.postMessage(msg)
  }
}
if (tx) tx.dispose()
