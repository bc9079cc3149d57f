'use strict'
// worker_threads: share tokens, stress with per-producer sequence checks, close races.
const test = require('node:test')
const assert = require('node:assert/strict')
const { channel, pendingTokens } = require('..')
const { runWorker, rejectsWith, until, SLACK_MS } = require('./helpers')

/** Receives everything until end-of-stream with recvBatch; returns the messages. */
async function drainAll(rx, max = 1024) {
  const got = []
  for (;;) {
    let batch
    try {
      batch = await rx.recvBatch(max)
    } catch (e) {
      if (e.code === 'CLOSED') return got
      throw e
    }
    for (const m of batch) got.push(m)
  }
}

/** Checks S03/S04: per producer, exactly seq 0..n-1 in order. */
function checkSequences(got, producers, perProducer) {
  const next = new Array(producers).fill(0)
  for (const m of got) {
    const id = Math.floor(m / 1e9)
    const seq = m - id * 1e9
    assert.ok(id >= 0 && id < producers, `unknown producer in ${m}`)
    assert.equal(seq, next[id], `producer ${id}: expected seq ${next[id]}, got ${seq}`)
    next[id]++
  }
  assert.deepEqual(next, new Array(producers).fill(perProducer))
}

test('s03_fifo_per_producer + s04_exactly_once: 4 workers x 100k messages into the main thread', async () => {
  const P = 4
  const N = 100_000
  const [tx, rx] = channel(1024)
  const done = []
  for (let id = 0; id < P; id++) done.push(runWorker('producer.js', { token: tx.share(), id, count: N, batch: id % 2 ? 64 : 0 }))
  tx.dispose() // the workers hold the only senders now: end-of-stream when all exit
  const t0 = performance.now()
  const got = await drainAll(rx)
  const el = performance.now() - t0
  const reports = await Promise.all(done)
  assert.equal(got.length, P * N)
  checkSequences(got, P, N)
  assert.deepEqual(reports.map((r) => r.sent), new Array(P).fill(N))
  console.log(`# stress: ${P} x ${N} in ${el.toFixed(0)} ms (${((P * N) / el / 1000).toFixed(2)} M msg/s)`)
})

test('s08_close_race: sends racing close() across workers are delivered iff Ok', async () => {
  for (let round = 0; round < 3; round++) {
    const P = 3
    const [tx, rx] = channel(64)
    const started = []
    const done = []
    for (let id = 0; id < P; id++) done.push(runWorker('racer.js', { token: tx.share(), id }))
    tx.dispose()
    // Receive concurrently for a while, then close from the receiver side mid-stream.
    const got = []
    const deadline = performance.now() + 60 + round * 40
    while (performance.now() < deadline) {
      const b = await rx.recvBatch(256, { timeout: 50 }).catch((e) => {
        if (e.code === 'TIMEOUT') return []
        throw e
      })
      got.push(...b)
    }
    rx.close()
    got.push(...(await drainAll(rx)))
    const reports = await Promise.all(done)
    for (const r of reports) assert.equal(r.code, 'CLOSED')
    const okTotal = reports.reduce((a, r) => a + r.ok, 0)
    assert.equal(got.length, okTotal, 'every Ok send received, no Closed send received')
    for (const r of reports) {
      const mine = got.filter((m) => Math.floor(m / 1e9) === r.id).map((m) => m - r.id * 1e9)
      assert.deepEqual(mine, Array.from({ length: r.ok }, (_, i) => i))
    }
    void started
  }
})

test('s11_no_lost_wakeup: capacity 1, many producers, one awaiting consumer, bounded time', async () => {
  const P = 4
  const N = 3000
  const [tx, rx] = channel(1)
  const done = []
  for (let id = 0; id < P; id++) done.push(runWorker('producer.js', { token: tx.share(), id, count: N }))
  tx.dispose()
  const t0 = performance.now()
  const got = []
  for (;;) {
    try {
      got.push(await rx.recv({ timeout: 10_000 })) // a lost wake-up would show as TIMEOUT
    } catch (e) {
      assert.equal(e.code, 'CLOSED')
      break
    }
  }
  await Promise.all(done)
  checkSequences(got, P, N)
  assert.ok(performance.now() - t0 < 30_000)
})

test('s12_senders_gone: a worker that exits without dispose() releases its sender', async () => {
  const [tx, rx] = channel(16)
  const w = runWorker('sender-exit.js', { token: tx.share(), count: 10 })
  tx.dispose()
  const got = await drainAll(rx)
  await w
  assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `w${i}`))
})

test('receiver shared to a worker: main sends with await send(), worker receives with recvBatchSync', async () => {
  const [tx, rx] = channel(8)
  const w = runWorker('consumer.js', { token: rx.share() })
  for (let i = 0; i < 500; i++) await tx.send(i % 2 ? `s${i}` : i)
  tx.close()
  const { got } = await w
  assert.deepEqual(got, Array.from({ length: 500 }, (_, i) => (i % 2 ? `s${i}` : i)))
})

test('s14_bad_input: tokens misused across workers', async () => {
  const [tx, rx] = channel(4)
  const token = tx.share()
  const otherToken = tx.share()
  const r = await runWorker('token-misuse.js', { token, otherToken })
  assert.deepEqual(r, { first: 'ok', again: 'INVALID', wrongKind: 'INVALID' })
  const { revokeToken } = require('..')
  assert.equal(revokeToken(otherToken), true)
  assert.equal(pendingTokens(), 0)
  rx.dispose()
})

test('s07_close_wakes: a worker blocked in sendSync on a full channel wakes with CLOSED', async () => {
  const [tx, rx] = channel(4)
  const w = runWorker('racer.js', { token: tx.share(), id: 0 })
  assert.ok(await until(() => rx.len === 4), 'the worker fills the channel and blocks')
  const t0 = performance.now()
  rx.close()
  const r = await w
  assert.equal(r.code, 'CLOSED')
  assert.equal(r.ok, 4)
  assert.ok(performance.now() - t0 < SLACK_MS)
  await rejectsWith(tx.send(1), 'CLOSED')
})

test('s13_receiver_gone: terminating the receiver worker closes the channel for senders at once', async () => {
  const { Worker } = require('node:worker_threads')
  const path = require('node:path')
  // A recv() is pending in the worker when it is terminated: the pending receive is
  // cancelled with its environment (S21), so it neither keeps the receiver alive nor
  // takes a message that nobody will see; senders get CLOSED without sending first.
  const [tx, rx] = channel(2)
  const w = new Worker(path.join(__dirname, 'workers', 'recv-pending.js'), { workerData: { token: rx.share() } })
  await new Promise((r) => w.once('message', r))
  await w.terminate()
  assert.ok(await until(() => tx.closed, SLACK_MS), 'the dead receiver closed the channel')
  await rejectsWith(tx.send(1), 'CLOSED')
})
