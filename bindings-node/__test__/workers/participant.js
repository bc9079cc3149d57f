'use strict'
// A reusable participant for the S21 termination tests: runs one job per 'run' message
// (send or receive with a given form) and reports through a SharedArrayBuffer, written
// after each completed call, so that the main thread knows what this worker saw even if
// it is terminated at any moment:
//   sent[id]   messages this producer saw OK (a prefix: calls complete in order)
//   recvd[id]  messages of producer `id` this receiver holds (it checks their order)
//   bad        set to 1 + the offending message if a receiver sees a gap or a duplicate
const { parentPort } = require('node:worker_threads')
const { Sender, Receiver } = require('../..')

const SEQ = 1e6

async function produce(job, counts) {
  const tx = Sender.fromToken(job.token)
  const base = job.id * SEQ
  const confirm = (n) => Atomics.store(counts, job.id, n)
  parentPort.postMessage({ ev: 'ready' })
  try {
    let i = 0
    const b = job.batch
    switch (job.mode) {
      case 'sendSync':
        for (; i < job.count; i++) {
          tx.sendSync(base + i)
          confirm(i + 1)
        }
        break
      case 'sendBatchSync':
        for (; i < job.count; i += b) {
          const chunk = Array.from({ length: Math.min(b, job.count - i) }, (_, k) => base + i + k)
          tx.sendBatchSync(chunk)
          confirm(i + chunk.length)
        }
        break
      case 'send':
        for (; i < job.count; i++) {
          await tx.send(base + i)
          confirm(i + 1)
        }
        break
      case 'sendPipelined': {
        // Up to `b` Promise sends in flight on one Sender; they settle in call order (S03).
        const inflight = []
        let done = 0
        for (; i < job.count; i++) {
          const sent = tx.send(base + i).then(() => confirm(++done))
          sent.catch(() => {}) // handled where it is awaited
          inflight.push(sent)
          if (inflight.length >= b) await inflight.shift()
        }
        await Promise.all(inflight)
        break
      }
      case 'sendBatch':
        for (; i < job.count; i += b) {
          const chunk = Array.from({ length: Math.min(b, job.count - i) }, (_, k) => base + i + k)
          await tx.sendBatch(chunk)
          confirm(i + chunk.length)
        }
        break
      case 'sendSyncBehindPromise':
        // A Promise send waits on the full channel; sendSync then waits its turn behind it.
        {
          const first = tx.send(base)
          tx.sendSync(base + 1) // returns once both are in (calls complete in order)
          confirm(2)
          await first
        }
        break
      case 'trySend':
        while (i < job.count) {
          if (tx.trySend(base + i)) confirm(++i)
          else await new Promise((r) => setImmediate(r))
        }
        break
      default:
        throw new Error(`unknown mode ${job.mode}`)
    }
    tx.dispose()
    parentPort.postMessage({ ev: 'done' })
  } catch (e) {
    tx.dispose()
    parentPort.postMessage({ ev: 'done', code: e.code ?? String(e) })
  }
}

async function consume(job, counts) {
  const rx = Receiver.fromToken(job.token)
  const P = job.producers
  const take = (m) => {
    const id = Math.floor(m / SEQ)
    const seq = m - id * SEQ
    if (Atomics.load(counts, P + id) !== seq) Atomics.store(counts, 2 * P, 1 + m)
    Atomics.store(counts, P + id, seq + 1)
  }
  parentPort.postMessage({ ev: 'ready' })
  try {
    switch (job.mode) {
      case 'recvSync':
        for (;;) take(rx.recvSync())
      case 'recvBatchSync':
        for (;;) rx.recvBatchSync(job.batch).forEach(take)
      case 'recv':
        for (;;) take(await rx.recv())
      case 'recvBatch':
        for (;;) (await rx.recvBatch(job.batch)).forEach(take)
      case 'forAwait':
        for await (const m of rx) take(m)
        break
      case 'forOf':
        for (const m of rx) take(m)
        break
      default:
        throw new Error(`unknown mode ${job.mode}`)
    }
    parentPort.postMessage({ ev: 'done', code: 'CLOSED' })
  } catch (e) {
    parentPort.postMessage({ ev: 'done', code: e.code ?? String(e) })
  }
}

parentPort.on('message', (job) => {
  const counts = new Int32Array(job.sab)
  if (job.role === 'send') produce(job, counts)
  else consume(job, counts)
})
parentPort.postMessage({ ev: 'up' })
