'use strict'
// S03 per-producer order for the Promise forms: calls on one JS Sender complete in call
// order, even when a slot frees between an earlier call going to wait and a later call
// being made (the later call must not take that slot).
const test = require('node:test')
const assert = require('node:assert/strict')
const { channel } = require('..')
const { settle, sleep } = require('./helpers')

const tick = () => new Promise((r) => setImmediate(r))

test('s03_promise_sends_keep_call_order: a later send never takes the slot an earlier one waits for', async () => {
  let overtaken = 0
  for (let round = 0; round < 300; round++) {
    const [tx, rx] = channel(1)
    tx.trySend('fill')
    const a = tx.send('a') // waits: full
    if (round % 2) await tick() // let a's task start waiting (or not yet)
    assert.equal(rx.tryRecv(), 'fill') // a slot frees...
    const b = tx.send('b') // ...and b is called before a's task took it
    const got = [await rx.recv(), await rx.recv()]
    await Promise.all([a, b])
    if (got[0] !== 'a') overtaken++
    rx.dispose()
  }
  assert.equal(overtaken, 0, `b overtook a in ${overtaken} of 300 rounds`)
})

test('s03_promise_sends_keep_call_order: trySend and sendBatch wait their turn behind a pending send', async () => {
  const [tx, rx] = channel(2)
  tx.trySend(0)
  tx.trySend(1)
  const a = tx.send(2)
  assert.equal(rx.tryRecv(), 0)
  // A slot is free, but send(2) was first: trySend reports "not now" (false), enqueues nothing.
  assert.equal(tx.trySend('overtake'), false)
  assert.equal(tx.trySendBatch(['overtake']), 0)
  const b = tx.sendBatch([3, 4, 5])
  const c = tx.send(6)
  const got = [rx.tryRecv() ?? (await rx.recv())]
  while (got.length < 6) got.push(...(await rx.recvBatch(8)))
  assert.equal(await b, 3)
  await Promise.all([a, c])
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6])
  // Idle again: the fast path works.
  assert.equal(tx.trySend(7), true)
  assert.equal(rx.tryRecv(), 7)
  // A closed channel still throws from the try forms while earlier sends wait.
  tx.trySend(8)
  tx.trySend(9)
  const d = settle(tx.send(10))
  rx.close()
  assert.throws(() => tx.trySend(11), (e) => e.code === 'CLOSED')
  assert.equal((await d).error.code, 'CLOSED')
})

test('s03_fifo_per_producer: overlapping sends with timeouts and aborts from two senders keep each order', async () => {
  for (let round = 0; round < 20; round++) {
    const [tx1, rx] = channel(3)
    const tx2 = tx1.clone()
    const outcomes = []
    for (let i = 0; i < 60; i++) {
      for (const [id, tx] of [[1, tx1], [2, tx2]]) {
        const m = id * 1000 + i
        const ac = new AbortController()
        const kind = (i + id + round) % 5
        let p
        if (kind === 0) p = tx.send(m, { timeout: i % 4 })
        else if (kind === 1) p = tx.send(m, { signal: ac.signal })
        else if (kind === 2) p = tx.sendBatch([m], { timeout: 2 })
        else p = tx.send(m)
        if (kind === 1 && i % 3 === 0) setTimeout(() => ac.abort(), i % 3)
        outcomes.push(settle(p).then((r) => ({ m, ok: r.ok, code: r.ok ? null : r.error.code })))
      }
      if (i % 7 === 0) await tick()
    }
    const got = []
    const deadline = Date.now() + 10_000
    let settled = false
    const all = Promise.all(outcomes).then((o) => {
      settled = true
      return o
    })
    while (!settled || rx.len > 0) {
      const m = rx.tryRecv()
      if (m === undefined) await sleep(0)
      else got.push(m)
      assert.ok(Date.now() < deadline, 'every send settles')
    }
    const res = await all
    for (const r of res) if (!r.ok) assert.ok(['TIMEOUT', 'ABORT_ERR'].includes(r.code), r.code)
    for (const id of [1, 2]) {
      const sentOk = res.filter((r) => r.ok && Math.floor(r.m / 1000) === id).map((r) => r.m)
      const mine = got.filter((m) => Math.floor(m / 1000) === id)
      assert.deepEqual(mine, sentOk, `producer ${id}: received in call order, exactly the Ok ones`)
    }
    rx.dispose()
  }
})

test('s03_fifo_per_producer: sendSync waits behind the same Sender\'s pending Promise sends', async () => {
  const [tx, rx] = channel(1)
  tx.trySend(0)
  const a = tx.send(1)
  const b = tx.send(2)
  // Free the slots from a timer while sendSync blocks the main thread? Not possible on one
  // thread: instead bound it, and check that it did not overtake (TIMEOUT, nothing sent).
  assert.throws(() => tx.sendSync(3, { timeout: 30 }), (e) => e.code === 'TIMEOUT')
  const got = [rx.tryRecv()]
  while (got.length < 3) got.push(await rx.recv())
  await Promise.all([a, b])
  assert.deepEqual(got, [0, 1, 2])
  tx.sendSync(4)
  assert.equal(rx.tryRecv(), 4)
})
