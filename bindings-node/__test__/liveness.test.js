'use strict'
// The event loop never blocks in the Promise forms (no libuv pool thread, no OS thread
// per pending Promise), and channel memory is released when the last handle is gone.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { channel, liveHandles } = require('..')
const { rejectsWith, sleep, settle } = require('./helpers')

const threads = () => fs.readdirSync('/proc/self/task').length

function gc() {
  if (typeof global.gc !== 'function') {
    require('node:v8').setFlagsFromString('--expose-gc')
    global.gc = require('node:vm').runInNewContext('gc')
  }
  global.gc()
}

test('s17_interrupt: 1000 pending recv() + 1000 pending send() leave fs and timers running', async () => {
  const beforeThreads = threads()
  const chans = []
  const recvs = []
  for (let i = 0; i < 1000; i++) {
    const [tx, rx] = channel(1)
    chans.push([tx, rx])
    recvs.push(rx.recv())
  }
  const [ftx, frx] = channel(1)
  ftx.trySend('fill')
  const sends = []
  for (let i = 0; i < 1000; i++) sends.push(ftx.send(i))
  // libuv's pool (4 threads) must still serve fs: readFile several times in parallel.
  let ticks = 0
  const iv = setInterval(() => ticks++, 10)
  const t0 = performance.now()
  const files = await Promise.all(Array.from({ length: 8 }, () => fs.promises.readFile(__filename, 'utf8')))
  const fsMs = performance.now() - t0
  assert.ok(files.every((f) => f.includes('s17_interrupt')))
  await sleep(300)
  clearInterval(iv)
  assert.ok(fsMs < 1000, `fs.readFile took ${fsMs} ms with 2000 pending channel promises`)
  assert.ok(ticks >= 10, `timer fired only ${ticks} times in ~300 ms`)
  const grown = threads() - beforeThreads
  assert.ok(grown < 16, `2000 pending promises created ${grown} threads`)
  // Everything is still live and correct: deliver to half, close the rest.
  for (let i = 0; i < 1000; i++) {
    if (i % 2) chans[i][0].trySend(i)
    else chans[i][0].close()
  }
  const rs = await Promise.allSettled(recvs)
  rs.forEach((r, i) => {
    if (i % 2) assert.equal(r.value, i)
    else assert.equal(r.reason.code, 'CLOSED')
  })
  const got = [frx.tryRecv()]
  while (got.length < 1001) got.push(...(await frx.recvBatch(100)))
  await Promise.all(sends)
  assert.equal(got.length, 1001)
  assert.deepEqual(got.slice(1).sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i))
  frx.dispose()
})

test('s17_interrupt: a timer keeps firing while await rx.recv() waits', async () => {
  const [tx, rx] = channel(1)
  let ticks = 0
  const iv = setInterval(() => ticks++, 5)
  setTimeout(() => tx.trySend('late'), 250)
  const m = await rx.recv()
  clearInterval(iv)
  assert.equal(m, 'late')
  assert.ok(ticks >= 10, `only ${ticks} timer ticks while waiting`)
  rx.dispose()
})

test('s15_bounded_memory: refused, timed-out, aborted and waiting sends leave nothing behind (RSS measured)', async () => {
  const { Worker } = require('node:worker_threads')
  const KiB = 1024
  const MiB = 1024 * KiB
  const [tx, rx] = channel(8)
  const payload = Buffer.alloc(16 * KiB, 7)
  while (tx.trySend(payload));
  // Two workers hammer the full channel with trySend and timed-out sendSync of 16 KiB.
  const stop = new Int32Array(new SharedArrayBuffer(4))
  const hammer = `
    const { workerData: { token, stop } } = require('node:worker_threads')
    const tx = require(${JSON.stringify(require.resolve('..'))}).Sender.fromToken(token)
    const flag = new Int32Array(stop)
    const m = Buffer.alloc(16 * 1024, 1)
    let refused = 0
    while (Atomics.load(flag, 0) === 0) {
      if (!tx.trySend(m)) refused++
      try { tx.sendSync(m, { timeout: 0 }) } catch (e) { if (e.code !== 'TIMEOUT') throw e }
    }
    require('node:worker_threads').parentPort.postMessage(refused)`
  const workers = [0, 1].map(() => new Worker(hammer, { eval: true, workerData: { token: tx.share(), stop: stop.buffer } }))
  const round = async () => {
    for (let i = 0; i < 20_000; i++) assert.equal(tx.trySend(payload), false)
    const waits = Array.from({ length: 500 }, (_, i) => settle(tx.send(payload, { timeout: 1 + (i % 5) })))
    const ac = new AbortController()
    require('node:events').setMaxListeners(1000, ac.signal)
    const aborted = Array.from({ length: 500 }, () => settle(tx.send(payload, { signal: ac.signal })))
    await sleep(2)
    ac.abort()
    for (const r of await Promise.all([...waits, ...aborted])) assert.ok(!r.ok && ['TIMEOUT', 'ABORT_ERR'].includes(r.error.code))
  }
  await round() // warm-up: the allocator's pools reach their working size
  gc()
  const base = process.memoryUsage().rss
  for (let k = 0; k < 5; k++) await round()
  gc()
  const grown = process.memoryUsage().rss - base
  Atomics.store(stop, 0, 1)
  console.log(`# s15: RSS grew ${(grown / MiB).toFixed(1)} MiB over 5 rounds`)
  const refused = await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))))
  // A leak of the refused copies alone would be 5 x 20 000 x 16 KiB = 1.5 GiB.
  assert.ok(grown < 48 * MiB, `RSS grew by ${(grown / MiB).toFixed(1)} MiB over 100 000 refused and 5000 cancelled sends`)
  assert.ok(refused.every((n) => n > 0), 'the workers hammered a full channel')
  // While sends wait, each holds its own message and record only: 2000 waiting 16 KiB sends.
  gc()
  const before = process.memoryUsage().rss
  const waiting = Array.from({ length: 2000 }, () => tx.send(payload))
  await sleep(50)
  const during = process.memoryUsage().rss - before
  console.log(`# s15: 2000 waiting 16 KiB sends: ${(during / MiB).toFixed(1)} MiB`)
  assert.ok(during < 2000 * (16 * KiB + 4 * KiB), `2000 waiting sends use ${(during / MiB).toFixed(1)} MiB`)
  assert.equal(rx.len, 8)
  let n = 0
  while (n < 8 + 2000) n += (await rx.recvBatch(256)).length
  assert.equal(n, 8 + 2000)
  assert.equal(rx.tryRecv(), undefined, "no refused or cancelled send went in")
  await Promise.all(waiting)
  rx.dispose()
})

test('s13_receiver_gone + leaks: creating and dropping many channels frees them', async () => {
  gc()
  await sleep(10)
  gc()
  const baseHandles = liveHandles()
  const baseRss = process.memoryUsage().rss
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 4000; i++) {
      const [tx, rx] = channel(16)
      tx.trySend(Buffer.alloc(2048)) // queued messages are freed with the channel (S13)
      tx.trySend('x'.repeat(100))
      const tx2 = tx.clone()
      if (i % 3 === 0) rx.dispose()
      if (i % 5 === 0) tx2.dispose()
      if (i % 7 === 0) require('..').revokeToken(tx.share())
    }
    await sleep(1)
    gc()
  }
  for (let k = 0; k < 5 && liveHandles() > baseHandles; k++) {
    await sleep(20)
    gc()
  }
  assert.equal(liveHandles(), baseHandles, 'every handle was released')
  const grownMb = (process.memoryUsage().rss - baseRss) / 2 ** 20
  // 20k channels with ~2 KiB queued each would be > 40 MiB if leaked.
  assert.ok(grownMb < 40, `RSS grew by ${grownMb.toFixed(1)} MiB`)
})

test('s16_cancellation: a pending recv whose channel is dropped rejects, loses nothing', async () => {
  const [tx, rx] = channel(4)
  const p = rx.recv()
  tx.dispose()
  await rejectsWith(p, 'CLOSED')
})
