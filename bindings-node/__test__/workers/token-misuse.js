'use strict'
// Tries to redeem the same tokens in a worker and reports the error codes.
const { workerData, parentPort } = require('node:worker_threads')
const { Sender, Receiver } = require('../..')

const out = {}
for (const [name, fn] of Object.entries({
  first: () => Sender.fromToken(workerData.token).dispose(),
  again: () => Sender.fromToken(workerData.token),
  wrongKind: () => Receiver.fromToken(workerData.otherToken),
})) {
  try {
    fn()
    out[name] = 'ok'
  } catch (e) {
    out[name] = e.code
  }
}
parentPort.postMessage(out)
