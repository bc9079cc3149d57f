'use strict'
// Redeems the receiver, leaves a recv() pending, and reports that it is waiting
// (the main thread then terminates this worker).
const { workerData, parentPort } = require('node:worker_threads')
const { Receiver } = require('../..')

const rx = Receiver.fromToken(workerData.token)
rx.recv().then((m) => parentPort.postMessage({ got: m }))
parentPort.postMessage('waiting')
