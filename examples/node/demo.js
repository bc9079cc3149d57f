'use strict'
// funnelq demo: worker_threads producers feeding one consumer on the main thread.
// Run: node demo.js   (after `npm install && npm run build` in ../../bindings-node)
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { channel, MAX_CAPACITY, MAX_MESSAGE_BYTES, MAX_BATCH } = require(process.env.FUNNELQ_PACKAGE || '../../bindings-node')

async function basics() {
  const [tx, rx] = channel(2)
  console.log(`limits: MAX_CAPACITY ${MAX_CAPACITY}, MAX_MESSAGE_BYTES ${MAX_MESSAGE_BYTES}, MAX_BATCH ${MAX_BATCH}`)
  await tx.send('a') // resolves once enqueued
  await tx.send('b')
  if (!tx.trySend('c')) {
    // trySend never waits: false = Full, nothing enqueued
    console.log(`trySend('c') -> false (Full): capacity ${tx.capacity} reached, nothing enqueued`)
  }

  // Backpressure: a send on the full channel resolves once recv frees a slot.
  const started = performance.now()
  const sent = tx.send('c').then(() => performance.now() - started)
  await new Promise((resolve) => setTimeout(resolve, 50))
  console.log(`recv() -> ${JSON.stringify(await rx.recv())}`)
  console.log(`send('c') waited ${(await sent).toFixed(0)} ms for that slot (backpressure)`)

  tx.close() // no more sends; what is queued is still delivered
  try {
    tx.trySend('d')
  } catch (e) {
    console.log(`close(); trySend('d') -> ${e.code}`)
  }
  const drained = []
  for await (const m of rx) drained.push(m) // ends at end-of-stream
  console.log(`drained after close: ${JSON.stringify(drained)}`)
  try {
    await rx.recv()
  } catch (e) {
    console.log(`recv() -> ${e.code} (end of stream)`)
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
  tx[Symbol.dispose]() // what `using tx = …` does at the end of its block: workers hold the only senders now
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
  if (received !== P * N) throw new Error(`received ${received} of ${P * N} messages`)
  console.log(
    `${P} worker producers x ${N} messages through capacity 1024: ${received} received, ` +
      `in order per producer, ${(received / ms / 1000).toFixed(2)} M msg/s`,
  )
}

;(async () => {
  console.log('== funnelq demo (Node.js) ==')
  await basics()
  await producers(4, 50_000)
})()
