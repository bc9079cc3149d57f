'use strict'
// `options.signal`: an AbortSignal on the Promise forms cancels the wait and loses
// nothing (S16), and bad options are TypeErrors like every other bad argument (S14).
const test = require('node:test')
const assert = require('node:assert/strict')
const { getEventListeners } = require('node:events')
const { channel } = require('..')
const { rejectsWith, throwsWith, sleep, settle, SLACK_MS } = require('./helpers')

/** Asserts an AbortError as Node's own APIs make it; returns it. */
async function rejectsAborted(p, signal) {
  const e = await rejectsWith(p, 'ABORT_ERR')
  assert.equal(e.name, 'AbortError')
  assert.ok(e instanceof Error)
  assert.equal(e.cause, signal.reason)
  return e
}

test('s16_cancellation: aborting a pending recv() rejects with AbortError and takes no message', async () => {
  const [tx, rx] = channel(2)
  const ac = new AbortController()
  const pending = rx.recv({ signal: ac.signal })
  await sleep(30)
  ac.abort()
  await rejectsAborted(pending, ac.signal)
  // The receiver is free again (not BUSY) and the next message is not lost.
  tx.trySend('after')
  assert.equal(await rx.recv({ timeout: 1000 }), 'after')
  // recvBatch too.
  const ac2 = new AbortController()
  const batch = rx.recvBatch(8, { signal: ac2.signal })
  ac2.abort(new Error('shutting down'))
  const e = await rejectsAborted(batch, ac2.signal)
  assert.equal(e.cause.message, 'shutting down')
  tx.trySend(1)
  tx.trySend(2)
  assert.deepEqual(await rx.recvBatch(8), [1, 2])
})

test('s16_cancellation: aborting a send() waiting on a full channel enqueues nothing', async () => {
  const [tx, rx] = channel(1)
  tx.trySend('first')
  const ac = new AbortController()
  const pending = tx.send('cancelled', { signal: ac.signal })
  await sleep(30)
  ac.abort()
  await rejectsAborted(pending, ac.signal)
  assert.equal(tx.len, 1)
  assert.equal(rx.tryRecv(), 'first')
  assert.equal(rx.tryRecv(), undefined)
})

test('s16_cancellation: an already-aborted signal rejects at once; nothing enqueued or taken', async () => {
  const [tx, rx] = channel(4)
  const signal = AbortSignal.abort()
  await rejectsAborted(tx.send('no', { signal }), signal)
  assert.equal(tx.len, 0) // even with room
  tx.trySend('kept')
  await rejectsAborted(rx.recv({ signal }), signal)
  await rejectsAborted(rx.recvBatch(4, { signal }), signal)
  assert.equal(rx.len, 1)
  assert.equal(rx.tryRecv(), 'kept')
})

test('s16_cancellation: AbortSignal.timeout() ends a recv() right after it fires, never before', async () => {
  const [tx, rx] = channel(1) // tx stays referenced: a collected last sender would close the channel
  const signal = AbortSignal.timeout(80)
  // When the signal fires is Node's business (its timer counts from the event loop's
  // cached clock, so it may fire early by performance.now()); the binding's is to reject
  // after it fired, never before, and promptly.
  let firedAt = null
  signal.addEventListener('abort', () => (firedAt = performance.now()))
  const e = await rejectsAborted(rx.recv({ signal }), signal)
  const rejectedAt = performance.now()
  assert.equal(e.cause.name, 'TimeoutError')
  assert.ok(firedAt !== null, 'rejected before the signal fired')
  assert.ok(rejectedAt - firedAt < SLACK_MS, `rejected ${rejectedAt - firedAt} ms after the signal fired`)
  assert.equal(tx.closed, false)
})

test('s16_cancellation: completed calls leave no listener on a long-lived signal, and a later abort changes nothing', async () => {
  const [tx, rx] = channel(4)
  const ac = new AbortController()
  for (let i = 0; i < 200; i++) {
    const got = rx.recv({ signal: ac.signal }) // pending: the channel is empty
    await tx.send(i, { signal: ac.signal })
    assert.equal(await got, i)
  }
  assert.equal(getEventListeners(ac.signal, 'abort').length, 0)
  ac.abort()
  tx.trySend('still open')
  assert.equal(await rx.recv(), 'still open')
})

test('s16_cancellation: sends aborted at random moments are delivered exactly when they resolved', async () => {
  const [tx, rx] = channel(2)
  const N = 400
  const sends = []
  for (let i = 0; i < N; i++) {
    const ac = new AbortController()
    sends.push(settle(tx.send(i, { signal: ac.signal })))
    if (i % 3 !== 0) setTimeout(() => ac.abort(), i % 5)
  }
  const got = []
  const consumer = (async () => {
    const ac = new AbortController()
    const deadline = setTimeout(() => ac.abort(), 4000)
    for (;;) {
      const r = await settle(rx.recv({ signal: ac.signal }))
      if (!r.ok) break // the consumer's own deadline: everything settled long before
      got.push(r.value)
      if (got.length % 16 === 0) await sleep(1) // let some sends wait, and some aborts land
      if (got.length === N) break
    }
    clearTimeout(deadline)
  })()
  const settled = await Promise.all(sends)
  tx.close()
  await consumer
  for (;;) {
    const r = await settle(rx.recv())
    if (!r.ok) break
    got.push(r.value)
  }
  const delivered = settled.flatMap((r, i) => (r.ok ? [i] : []))
  for (const r of settled) if (!r.ok) assert.equal(r.error.code, 'ABORT_ERR')
  assert.ok(delivered.length > 0 && delivered.length < N, `${delivered.length} of ${N} delivered`)
  assert.deepEqual(
    got.sort((a, b) => a - b),
    delivered,
  )
})

test('s14_bad_input: options of the wrong type are TypeErrors; the …Sync forms refuse a signal', () => {
  const [tx, rx] = channel(1)
  for (const o of [5, 'x', true, { timeout: '10' }, { signal: {} }, { signal: null }, { signal: 1 }]) {
    throwsWith(() => rx.recv(o), 'INVALID', TypeError)
    throwsWith(() => tx.send(1, o), 'INVALID', TypeError)
    throwsWith(() => rx.recvSync(o), 'INVALID', TypeError)
  }
  const { signal } = new AbortController()
  throwsWith(() => rx.recvSync({ signal }), 'INVALID', TypeError)
  throwsWith(() => rx.recvBatchSync(1, { signal }), 'INVALID', TypeError)
  throwsWith(() => tx.sendSync(1, { signal }), 'INVALID', TypeError)
  assert.equal(tx.len, 0)
  // undefined and null still mean "no option".
  tx.sendSync(1, { timeout: null, signal: undefined })
  assert.equal(rx.recvSync({ timeout: undefined }), 1)
})
