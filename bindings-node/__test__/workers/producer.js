'use strict'
// Redeems a sender token and sends `count` numbers id * 1e9 + seq with sendSync
// (or, with `batch`, sendBatchSync in chunks), then disposes its sender.
const { workerData, parentPort } = require('node:worker_threads')
const { Sender } = require('../..')

const { token, id, count, batch } = workerData
const tx = Sender.fromToken(token)
const base = id * 1e9
if (batch) {
  for (let s = 0; s < count; s += batch) {
    const chunk = []
    for (let i = s; i < Math.min(count, s + batch); i++) chunk.push(base + i)
    tx.sendBatchSync(chunk)
  }
} else {
  for (let i = 0; i < count; i++) tx.sendSync(base + i)
}
tx.dispose()
parentPort.postMessage({ id, sent: count })
