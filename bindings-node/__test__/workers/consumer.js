'use strict'
// Redeems a receiver token and receives with the blocking forms until end-of-stream.
const { workerData, parentPort } = require('node:worker_threads')
const { Receiver } = require('../..')

const rx = Receiver.fromToken(workerData.token)
const got = []
for (;;) {
  try {
    const batch = rx.recvBatchSync(64)
    for (const m of batch) got.push(m)
  } catch (e) {
    if (e.code !== 'CLOSED') throw e
    break
  }
}
parentPort.postMessage({ got })
