'use strict'
// The event loop never blocks in the Promise forms (no libuv pool thread, no OS thread
// per pending Promise), and channel memory is released when the last handle is gone.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { channel, liveHandles } = require('..')
const { rejectsWith, sleep } = require('./helpers')

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

test('s15_bounded_memory: many waiting sends never grow the queue past capacity', async () => {
  const [tx, rx] = channel(8)
  const waits = []
  for (let i = 0; i < 2000; i++) waits.push(tx.send(Buffer.alloc(64, i & 0xff)))
  await sleep(50)
  assert.equal(tx.len, 8)
  let n = 0
  while (n < 2000) {
    const b = await rx.recvBatch(64)
    n += b.length
    assert.ok(rx.len <= 8)
  }
  await Promise.all(waits)
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
