'use strict'
// Child process for s21_process_exit_returns_promptly: two workers block, one in
// recvSync() on an empty channel, one in sendBatchSync() on a full one; then the process
// exits, from a SIGINT handler (argv 'sigint') or from a timer (argv 'timer').
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { channel } = require('../..')

const [tx, rx] = channel(1)
const [tx2, rx2] = channel(1)
tx2.trySend('fill')
const participant = path.join(__dirname, 'participant.js')
const start = (job) =>
  new Promise((resolve) => {
    const w = new Worker(participant)
    w.on('message', (m) => {
      if (m.ev === 'up') w.postMessage({ ...job, sab: new SharedArrayBuffer(12) })
      if (m.ev === 'ready') resolve()
    })
  })
Promise.all([
  start({ role: 'recv', mode: 'recvSync', producers: 1, token: rx.share() }),
  start({ role: 'send', mode: 'sendBatchSync', batch: 4, count: 4, id: 0, token: tx2.share() }),
]).then(() => {
  if (process.argv[2] === 'sigint') process.on('SIGINT', () => process.exit(7))
  else setTimeout(() => process.exit(5), 100)
  setTimeout(() => console.log('ready'), 50) // the workers are blocked by now
})
void [tx, rx2]
