'use strict'
// S08: sends id * 1e9 + seq until the channel reports CLOSED; reports how many
// sends returned Ok. Every Ok send must be received exactly once.
const { workerData, parentPort } = require('node:worker_threads')
const { Sender } = require('../..')

const { token, id } = workerData
const tx = Sender.fromToken(token)
let ok = 0
let closedErr = null
parentPort.postMessage({ started: true })
for (;;) {
  try {
    tx.sendSync(id * 1e9 + ok)
    ok++
  } catch (e) {
    closedErr = e.code
    break
  }
}
parentPort.postMessage({ id, ok, code: closedErr })
