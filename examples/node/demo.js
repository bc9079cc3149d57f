'use strict'
// funnelq demo: worker_threads producers feeding one consumer on the main thread.
// Run: node demo.js   (after `npm install && npm run build` in ../../bindings-node)
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { channel } = require(process.env.FUNNELQ_PACKAGE || '../../bindings-node')

async function basics() {
  const [tx, rx] = channel(4)
  await tx.send('hello') // resolves once enqueued
  for (let i = 1; tx.trySend(i); i++); // trySend never waits: false = Full, nothing enqueued
  console.log(`s01_capacity: channel full at len=${tx.len} of capacity=${tx.capacity}; trySend -> false`)
  console.log(`recv -> ${JSON.stringify(await rx.recv())}`)
  tx.trySend('last')
  tx.close() // no more sends; what is queued is still delivered
  try {
    tx.trySend('too late')
  } catch (e) {
    console.log(`s06_close_rejects: trySend after close -> ${e.code}`)
  }
  const drained = []
  for await (const m of rx) drained.push(m) // ends at end-of-stream
  console.log(`s05_close_drains: drained ${JSON.stringify(drained)}, then end-of-stream`)
  try {
    await rx.recv()
  } catch (e) {
    console.log(`recv after drain -> ${e.code}`)
  }
}

async function producers(P, N) {
  const [tx, rx] = channel(1024)
  const workers = []
  for (let id = 0; id < P; id++) {
    // A share token is a string: it crosses into the worker via workerData.
    const w = new Worker(path.join(__dirname, 'producer.js'), { workerData: { token: tx.share(), id, count: N } })
    workers.push(new Promise((resolve, reject) => w.on('error', reject).on('exit', resolve)))
  }
  tx.dispose() // workers hold the only senders: end-of-stream once all are done
  const next = new Array(P).fill(0)
  const t0 = performance.now()
  let received = 0
  for (;;) {
    let batch
    try {
      batch = await rx.recvBatch(1024) // one crossing into JS for up to 1024 messages
    } catch (e) {
      if (e.code !== 'CLOSED') throw e
      break
    }
    for (const m of batch) {
      const id = m.readUInt32LE(0)
      const seq = m.readUInt32LE(4)
      if (seq !== next[id]) throw new Error(`producer ${id}: expected ${next[id]}, got ${seq}`)
      next[id]++
    }
    received += batch.length
  }
  const ms = performance.now() - t0
  await Promise.all(workers)
  console.log(`s04_exactly_once: ${P} producers x ${N} = ${received} messages, per-producer order checked`)
  console.log(`rate: ${((received / ms) * 1000).toFixed(0)} messages/s (${ms.toFixed(0)} ms)`)
}

;(async () => {
  await basics()
  await producers(4, 50_000)
})()
