'use strict'
// Single-thread behaviour of funnelq's Node binding, by scenario id (SEMANTICS.md).
const test = require('node:test')
const assert = require('node:assert/strict')
const { channel, Sender, Receiver, MAX_CAPACITY } = require('..')
const { rejectsWith, throwsWith, sleep, until, settle, SLACK_MS } = require('./helpers')

test('s01_capacity: C sends fit, the C+1-th trySend is Full and enqueues nothing', () => {
  for (const cap of [1, 2, 7, 64]) {
    const [tx, rx] = channel(cap)
    assert.equal(tx.capacity, cap)
    assert.equal(rx.capacity, cap)
    for (let i = 0; i < cap; i++) assert.equal(tx.trySend(i), true)
    assert.equal(tx.trySend('extra'), false)
    assert.equal(tx.len, cap)
    assert.equal(rx.len, cap)
    for (let i = 0; i < cap; i++) assert.equal(rx.tryRecv(), i)
    assert.equal(rx.tryRecv(), undefined)
    rx.dispose()
  }
  assert.equal(MAX_CAPACITY, 2 ** 30)
})

test('s02_backpressure: one recv frees exactly one slot for exactly one waiting send', async () => {
  const [tx, rx] = channel(2)
  tx.trySend(0)
  tx.trySend(1)
  const order = []
  const a = tx.send('a').then(() => order.push('a'))
  const b = tx.send('b').then(() => order.push('b'))
  await sleep(50)
  assert.deepEqual(order, [], 'no send completes while full')
  assert.equal(tx.len, 2)
  assert.equal(await rx.recv(), 0)
  assert.ok(await until(() => order.length >= 1), 'a waiting sender proceeded')
  await sleep(50)
  assert.equal(order.length, 1, 'exactly one waiting sender proceeded')
  assert.equal(tx.len, 2)
  assert.equal(await rx.recv(), 1)
  await Promise.all([a, b])
  assert.equal(order.length, 2)
  const rest = [rx.tryRecv(), rx.tryRecv()]
  assert.deepEqual(rest.sort(), ['a', 'b'])
  rx.dispose()
})

test('s03_fifo_per_producer (single thread): order kept across send forms', async () => {
  const [tx, rx] = channel(1000)
  const tx2 = tx.clone()
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0) tx.trySend(i)
    else if (i % 3 === 1) await tx.send(i)
    else tx.sendSync(i)
  }
  tx2.trySendBatch([300, 301, 302])
  const got = rx.tryRecvBatch(1000)
  assert.deepEqual(got, Array.from({ length: 303 }, (_, i) => i))
  rx.dispose()
})

test('s05_close_drains: queued messages are received in order, then end-of-stream (repeatedly)', async () => {
  const [tx, rx] = channel(8)
  for (const m of ['x', 'y', 'z']) tx.trySend(m)
  assert.equal(tx.close(), true)
  assert.equal(tx.close(), false, 'close is idempotent')
  assert.equal(rx.closed, true)
  assert.equal(await rx.recv(), 'x')
  assert.equal(rx.recvSync(), 'y')
  assert.equal(rx.tryRecv(), 'z')
  await rejectsWith(rx.recv(), 'CLOSED')
  await rejectsWith(rx.recv(), 'CLOSED')
  throwsWith(() => rx.tryRecv(), 'CLOSED')
  throwsWith(() => rx.recvSync(), 'CLOSED')
  throwsWith(() => rx.tryRecvBatch(4), 'CLOSED')
  await rejectsWith(rx.recvBatch(4), 'CLOSED')
})

test('s05_close_drains: for await ends at end-of-stream', async () => {
  const [tx, rx] = channel(8)
  for (let i = 0; i < 5; i++) tx.trySend(i)
  rx.close()
  const got = []
  for await (const m of rx) got.push(m)
  assert.deepEqual(got, [0, 1, 2, 3, 4])
})

test('s06_close_rejects: sends fail with CLOSED even with space', async () => {
  const [tx, rx] = channel(8)
  rx.close()
  throwsWith(() => tx.trySend(1), 'CLOSED')
  throwsWith(() => tx.sendSync(1), 'CLOSED')
  throwsWith(() => tx.trySendBatch([1, 2]), 'CLOSED')
  await rejectsWith(tx.send(1), 'CLOSED')
  await rejectsWith(tx.sendBatch([1]), 'CLOSED')
  assert.equal(tx.len, 0)
  assert.equal(tx.closed, true)
})

test('s07_close_wakes: a waiting recv wakes with CLOSED, waiting sends wake with CLOSED', async () => {
  {
    const [tx, rx] = channel(1)
    const p = rx.recv()
    await sleep(30)
    const t0 = Date.now()
    tx.close()
    await rejectsWith(p, 'CLOSED')
    assert.ok(Date.now() - t0 < SLACK_MS)
  }
  {
    const [tx, rx] = channel(1)
    tx.trySend(0)
    const waits = [tx.send(1), tx.send(2), tx.sendBatch([3, 4])]
    await sleep(30)
    rx.close()
    for (const w of waits) await rejectsWith(w, 'CLOSED')
    assert.equal(rx.tryRecv(), 0)
    throwsWith(() => rx.tryRecv(), 'CLOSED')
  }
  {
    // The receiver's own close() while its recv() is waiting.
    const [tx, rx] = channel(1)
    const p = rx.recv()
    await sleep(30)
    assert.equal(rx.close(), true)
    await rejectsWith(p, 'CLOSED')
    throwsWith(() => tx.trySend(1), 'CLOSED')
    assert.equal(rx.closed, true)
  }
})

test('s09_empty: tryRecv is undefined; recv/recvSync time out after about d', async () => {
  const [tx, rx] = channel(4)
  assert.equal(rx.tryRecv(), undefined)
  assert.deepEqual(rx.tryRecvBatch(3), [])
  for (const d of [50, 200]) {
    const t0 = performance.now()
    await rejectsWith(rx.recv({ timeout: d }), 'TIMEOUT')
    const el = performance.now() - t0
    assert.ok(el >= d - 1, `recv timeout ${d} ms returned after ${el} ms`)
    assert.ok(el < d + SLACK_MS, `recv timeout ${d} ms took ${el} ms`)
  }
  const t0 = performance.now()
  throwsWith(() => rx.recvSync({ timeout: 120 }), 'TIMEOUT')
  const el = performance.now() - t0
  assert.ok(el >= 119 && el < 120 + SLACK_MS, `recvSync timeout took ${el} ms`)
  const t1 = performance.now()
  await rejectsWith(rx.recvBatch(8, { timeout: 80 }), 'TIMEOUT')
  assert.ok(performance.now() - t1 >= 79)
  // A zero timeout on an empty channel is an immediate TIMEOUT; on a ready one a message.
  await rejectsWith(rx.recv({ timeout: 0 }), 'TIMEOUT')
  tx.trySend('now')
  assert.equal(await rx.recv({ timeout: 0 }), 'now')
  rx.dispose()
})

test('s10_timeouts: send/sendSync on a full channel time out after about d, enqueue nothing', async () => {
  const [tx, rx] = channel(1)
  tx.trySend('keep')
  for (const d of [60, 200]) {
    const t0 = performance.now()
    await rejectsWith(tx.send(`late${d}`, { timeout: d }), 'TIMEOUT')
    const el = performance.now() - t0
    assert.ok(el >= d - 1, `send timeout ${d} returned after ${el}`)
    assert.ok(el < d + SLACK_MS)
  }
  const t0 = performance.now()
  throwsWith(() => tx.sendSync('late-sync', { timeout: 100 }), 'TIMEOUT')
  const el = performance.now() - t0
  assert.ok(el >= 99 && el < 100 + SLACK_MS, `sendSync timeout took ${el}`)
  assert.equal(tx.len, 1)
  assert.equal(rx.tryRecv(), 'keep')
  assert.equal(rx.tryRecv(), undefined, 'timed-out sends enqueued nothing')
  rx.dispose()
})

test('s12_senders_gone: disposing every sender is end-of-stream after the drain', async () => {
  const [tx, rx] = channel(4)
  const tx2 = tx.clone()
  tx.trySend(1)
  tx.dispose()
  tx.dispose() // idempotent
  assert.equal(rx.closed, false, 'one sender still alive')
  const p = rx.recv()
  assert.equal(await p, 1)
  const waiting = rx.recv()
  tx2.trySend(2)
  assert.equal(await waiting, 2)
  const end = rx.recv()
  tx2.dispose()
  await rejectsWith(end, 'CLOSED')
  throwsWith(() => tx.trySend(1), 'INVALID')
})

test('s13_receiver_gone: senders get CLOSED, waiting sends wake', async () => {
  const [tx, rx] = channel(1)
  tx.trySend(Buffer.alloc(1 << 20))
  const w = tx.send('wait')
  await sleep(20)
  rx.dispose()
  await rejectsWith(w, 'CLOSED')
  throwsWith(() => tx.trySend(1), 'CLOSED')
  assert.equal(tx.closed, true)
  throwsWith(() => rx.tryRecv(), 'INVALID')
  await rejectsWith(rx.recv(), 'INVALID').catch(() => {})
})

test('s14_bad_input: capacity, message types, options and handles', () => {
  for (const c of [0, -1, 1.5, 2 ** 30 + 1, NaN, Infinity]) {
    const e = throwsWith(() => channel(c), 'INVALID', RangeError)
    assert.match(e.message, /capacity .* out of range 1\.\.=1073741824/)
  }
  for (const c of ['8', null, undefined, {}, 8n]) throwsWith(() => channel(c), 'INVALID', TypeError)
  const [tx, rx] = channel(4)
  const bad = [undefined, null, true, {}, [], 1n, Symbol('s'), () => 1, new Uint16Array(2), new ArrayBuffer(4), new DataView(new ArrayBuffer(2))]
  for (const m of bad) {
    throwsWith(() => tx.trySend(m), 'INVALID', TypeError)
    throwsWith(() => tx.sendSync(m), 'INVALID', TypeError)
    throwsWith(() => tx.send(m), 'INVALID', TypeError)
  }
  // A batch with one bad element enqueues nothing (never half-enqueued).
  throwsWith(() => tx.trySendBatch([1, 2, {}, 4]), 'INVALID', TypeError)
  assert.equal(tx.len, 0)
  for (const t of [-1, NaN]) {
    throwsWith(() => rx.recvSync({ timeout: t }), 'INVALID', RangeError)
    throwsWith(() => tx.sendSync(1, { timeout: t }), 'INVALID', RangeError)
  }
  assert.equal(tx.len, 0)
  for (const m of [0, -1, 1.5]) throwsWith(() => rx.tryRecvBatch(m), 'INVALID', RangeError)
  rx.dispose()
  throwsWith(() => rx.tryRecv(), 'INVALID')
  throwsWith(() => rx.len, 'INVALID')
  throwsWith(() => new Sender(), undefined)
})

test('s14_bad_input: share tokens unknown, consumed, forged or of the wrong kind', () => {
  const [tx, rx] = channel(4)
  const t = tx.share()
  assert.match(t, /^funnelq:s:[0-9a-f]{8}:\d+:[0-9a-f]{16}$/)
  throwsWith(() => Receiver.fromToken(t), 'INVALID') // wrong kind, not consumed
  const s2 = Sender.fromToken(t)
  const e = throwsWith(() => Sender.fromToken(t), 'INVALID')
  assert.match(e.message, /already redeemed/)
  const [, , domain] = t.split(':')
  for (const forged of ['', 'funnelq', 'funnelq:s:1', `funnelq:s:${domain}:999999:0000000000000000`, 'funnelq:s:00000001:1:0000000000000000', t.replace(/.$/, (c) => (c === '0' ? '1' : '0')), t.replace(':s:', ':r:'), 'funnelq:x:00000001:1:0123456789abcdef']) {
    const e2 = throwsWith(() => Sender.fromToken(forged), 'INVALID', Error)
    assert.ok(!(e2 instanceof TypeError) && !(e2 instanceof RangeError), forged)
    assert.match(e2.message, /share token: (not a funnelq share token|the token was not issued here|the token was already redeemed)/)
  }
  s2.trySend('via token')
  assert.equal(rx.tryRecv(), 'via token')
  const rt = rx.share()
  throwsWith(() => rx.tryRecv(), 'INVALID')
  const { revokeToken, pendingTokens } = require('..')
  const before = pendingTokens()
  assert.equal(revokeToken(rt), true)
  assert.equal(revokeToken(rt), false)
  assert.equal(pendingTokens(), before - 1)
  throwsWith(() => Receiver.fromToken(rt), 'INVALID')
  throwsWith(() => s2.trySend(1), 'CLOSED', Error) // the revoked receiver was dropped
})

test('s16_cancellation: a timed-out send is not enqueued, a timed-out recv loses nothing', async () => {
  const [tx, rx] = channel(1)
  tx.trySend('first')
  await rejectsWith(tx.send('cancelled', { timeout: 20 }), 'TIMEOUT')
  assert.equal(rx.tryRecv(), 'first')
  assert.equal(rx.tryRecv(), undefined)
  await rejectsWith(rx.recv({ timeout: 20 }), 'TIMEOUT')
  tx.trySend('after')
  assert.equal(await rx.recv({ timeout: 1000 }), 'after')
  // Many racing short timeouts: every send that resolved is received exactly once.
  const results = []
  for (let i = 0; i < 200; i++) results.push(settle(tx.send(i, { timeout: i % 7 })))
  const got = []
  const drain = (async () => {
    for (let k = 0; k < 400; k++) {
      const r = await settle(rx.recv({ timeout: 5 }))
      if (r.ok) got.push(r.value)
    }
  })()
  const settled = await Promise.all(results)
  await drain
  for (;;) {
    const m = rx.tryRecv()
    if (m === undefined) break
    got.push(m)
  }
  const ok = settled.map((r, i) => (r.ok ? i : -1)).filter((i) => i >= 0)
  for (const r of settled) if (!r.ok) assert.equal(r.error.code, 'TIMEOUT')
  assert.deepEqual(got.sort((a, b) => a - b), ok)
  rx.dispose()
})

test('s18_batch: trySendBatch prefix, recvBatch 1..=max in FIFO order', async () => {
  const [tx, rx] = channel(5)
  assert.equal(tx.trySendBatch([]), 0)
  assert.equal(tx.trySendBatch([0, 1, 2]), 3)
  assert.equal(tx.trySendBatch([3, 4, 5, 6]), 2, 'longest prefix that fits')
  assert.equal(tx.trySendBatch([7]), 0, 'full')
  assert.deepEqual(await rx.recvBatch(2), [0, 1])
  assert.deepEqual(rx.tryRecvBatch(10), [2, 3, 4])
  const p = rx.recvBatch(10)
  await sleep(20)
  tx.trySendBatch(['a', 'b'])
  const got = await p
  assert.ok(got.length >= 1 && got.length <= 10)
  assert.deepEqual(got.concat(rx.tryRecvBatch(10)), ['a', 'b'])
  // sendBatch waits for room, in order.
  const big = Array.from({ length: 23 }, (_, i) => i)
  const sent = tx.sendBatch(big)
  const recvd = []
  while (recvd.length < 23) recvd.push(...(await rx.recvBatch(4)))
  assert.equal(await sent, 23)
  assert.deepEqual(recvd, big)
  tx.sendBatchSync([1, 2, 3])
  assert.deepEqual(rx.recvBatchSync(2), [1, 2])
  assert.deepEqual(rx.recvBatchSync(2, { timeout: 10 }), [3])
  throwsWith(() => rx.recvBatchSync(2, { timeout: 10 }), 'TIMEOUT')
  rx.dispose()
})

test('busy: a second concurrent receive is rejected with BUSY, never corrupts', async () => {
  const [tx, rx] = channel(4)
  const first = rx.recv()
  await rejectsWith(rx.recv(), 'BUSY')
  await rejectsWith(rx.recvBatch(3), 'BUSY')
  throwsWith(() => rx.tryRecv(), 'BUSY')
  throwsWith(() => rx.recvSync({ timeout: 10 }), 'BUSY')
  throwsWith(() => rx.share(), 'BUSY')
  await rejectsWith(rx[Symbol.asyncIterator]().next(), 'BUSY')
  throwsWith(() => rx[Symbol.iterator]().next(), 'BUSY')
  tx.trySend('one')
  assert.equal(await first, 'one')
  tx.trySend('two')
  assert.equal(await rx.recv(), 'two', 'the receiver is usable again afterwards')
  rx.dispose()
})

test('messages: Buffer, Uint8Array views, strings and numbers round-trip', async () => {
  const [tx, rx] = channel(32)
  const src = Buffer.from('hello world')
  const view = new Uint8Array(src.buffer, src.byteOffset + 6, 5)
  const big = Buffer.alloc(70000)
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff
  const inputs = [src, view, Buffer.alloc(0), big, 'héllo ✓ 😀', '', 0, -0, 3.5, NaN, Infinity, -Infinity, 2 ** 53]
  for (const m of inputs) tx.trySend(m)
  src.fill(0) // copied at send time: later mutation does not leak through
  const out = rx.tryRecvBatch(32)
  assert.ok(Buffer.isBuffer(out[0]))
  assert.equal(out[0].toString(), 'hello world')
  assert.ok(Buffer.isBuffer(out[1]))
  assert.equal(out[1].toString(), 'world')
  assert.equal(out[2].length, 0)
  assert.ok(out[3].equals(big))
  assert.equal(out[4], 'héllo ✓ 😀')
  assert.equal(out[5], '')
  assert.ok(Object.is(out[6], 0))
  assert.ok(Object.is(out[7], -0))
  assert.equal(out[8], 3.5)
  assert.ok(Number.isNaN(out[9]))
  assert.deepEqual(out.slice(10), [Infinity, -Infinity, 2 ** 53])
  rx.dispose()
})

test('s18_batch: a large sendBatch into a small channel stays ordered and completes', async () => {
  const [tx, rx] = channel(3)
  const big = Array.from({ length: 20000 }, (_, i) => i)
  const sent = tx.sendBatch(big)
  const got = []
  while (got.length < big.length) got.push(...(await rx.recvBatch(64)))
  assert.equal(await sent, big.length)
  assert.deepEqual(got, big)
  rx.dispose()
})

test('s07_close_wakes: len/closed stay exact while a recv() is pending', async () => {
  const [tx, rx] = channel(2)
  const p = rx.recv()
  assert.equal(rx.len, 0)
  assert.equal(rx.closed, false)
  assert.equal(rx.capacity, 2)
  tx.close()
  assert.equal(rx.closed, true, 'seen at once, not after the pending recv settles')
  await rejectsWith(p, 'CLOSED')
})
