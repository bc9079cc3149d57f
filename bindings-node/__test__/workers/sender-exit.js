'use strict'
// S12: sends `count` messages and exits WITHOUT dispose(): the worker's teardown must
// drop its sender so the receiver can see end-of-stream.
const { workerData } = require('node:worker_threads')
const { Sender } = require('../..')

const tx = Sender.fromToken(workerData.token)
for (let i = 0; i < workerData.count; i++) tx.sendSync(`w${i}`)
