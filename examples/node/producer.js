'use strict'
// One producer worker: redeems its sender token and sends 8-byte Buffers (id, seq).
const { workerData } = require('node:worker_threads')
const { Sender } = require(process.env.FUNNELQ_PACKAGE || '../../bindings-node')

const tx = Sender.fromToken(workerData.token)
const chunk = []
for (let seq = 0; seq < workerData.count; seq++) {
  const b = Buffer.alloc(8)
  b.writeUInt32LE(workerData.id, 0)
  b.writeUInt32LE(seq, 4)
  chunk.push(b)
  if (chunk.length === 128 || seq === workerData.count - 1) {
    tx.sendBatchSync(chunk) // blocks this worker (not the main thread) while full
    chunk.length = 0
  }
}
tx.dispose()
