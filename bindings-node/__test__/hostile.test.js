'use strict'
// S22 hostile sizes and S14 argument types: every caller-supplied length, count and size
// is checked against a documented bound before anything is allocated or copied, and
// every bad argument is an ordinary TypeError/RangeError with `code: 'INVALID'`. Each
// call that used to abort the process (new Array(1e9)) runs in this very process: the
// test file finishing is part of the assertion.
const test = require('node:test')
const assert = require('node:assert/strict')
const { channel, Sender, Receiver, revokeToken, MAX_BATCH, MAX_MESSAGE_BYTES, MAX_CAPACITY } = require('..')
const { rejectsWith, throwsWith } = require('./helpers')

const rss = () => process.memoryUsage().rss

test('s22_hostile_batch_length: a batch over MAX_BATCH is a RangeError before anything is read', async () => {
  assert.equal(MAX_BATCH, 2 ** 20)
  const [tx, rx] = channel(4)
  const before = rss()
  for (const len of [1e9, 2 ** 32 - 1, MAX_BATCH + 1]) {
    const huge = new Array(len) // holey: nothing behind it, so nothing may be read or allocated
    for (const send of [() => tx.trySendBatch(huge), () => tx.sendBatchSync(huge), () => tx.sendBatch(huge)]) {
      const e = throwsWith(send, 'INVALID', RangeError)
      assert.equal(e.message, `batch of ${len} items is over the limit of ${MAX_BATCH}`)
    }
  }
  assert.ok(rss() - before < 64 * 2 ** 20, 'the refused batches allocated nothing')
  assert.equal(tx.len, 0)
  // At the limit it works (numbers: 8 bytes each), in order, prefix only.
  const atLimit = Array.from({ length: MAX_BATCH }, (_, i) => i)
  assert.equal(tx.trySendBatch(atLimit), 4)
  assert.deepEqual(rx.tryRecvBatch(MAX_BATCH), [0, 1, 2, 3])
  rx.dispose()
})

test('s22_hostile_batch_length: recvBatch max out of 1..=MAX_BATCH is a RangeError', async () => {
  const [tx, rx] = channel(4)
  tx.trySend(1)
  for (const max of [0, -1, 1.5, NaN, Infinity, MAX_BATCH + 1, 1e9, 2 ** 53]) {
    throwsWith(() => rx.tryRecvBatch(max), 'INVALID', RangeError)
    throwsWith(() => rx.recvBatchSync(max), 'INVALID', RangeError)
    throwsWith(() => rx.recvBatch(max), 'INVALID', RangeError)
  }
  const e = throwsWith(() => rx.tryRecvBatch(1e9), 'INVALID', RangeError)
  assert.equal(e.message, `max 1000000000 is out of range 1..=${MAX_BATCH}`)
  assert.deepEqual(rx.tryRecvBatch(MAX_BATCH), [1], 'nothing was taken by the refused calls')
  rx.dispose()
})

test('s22_hostile_message_size: bytes and strings over MAX_MESSAGE_BYTES are refused before any copy', async () => {
  assert.equal(MAX_MESSAGE_BYTES, 2 ** 26)
  const [tx, rx] = channel(4)
  const big = Buffer.alloc(MAX_MESSAGE_BYTES + 1)
  const longStr = 'é'.repeat(MAX_MESSAGE_BYTES / 2 + 1) // 2 bytes each in UTF-8: one byte over
  for (const m of [big, new Uint8Array(big.buffer, 0, MAX_MESSAGE_BYTES + 1), longStr]) {
    for (const send of [() => tx.trySend(m), () => tx.sendSync(m), () => tx.send(m), () => tx.trySendBatch([1, m]), () => tx.sendBatchSync([m])]) {
      const e = throwsWith(send, 'INVALID', RangeError)
      assert.match(e.message, /^(msgs\[\d\]: )?message of \d+ bytes is over the limit of 67108864$/)
    }
  }
  assert.equal(tx.len, 0, 'never half-enqueued: the batch [1, tooBig] put nothing in')
  // Exactly at the limit it goes through.
  assert.equal(tx.trySend(big.subarray(0, MAX_MESSAGE_BYTES)), true)
  assert.equal(rx.tryRecv().length, MAX_MESSAGE_BYTES)
  rx.dispose()
})

test('s22_hostile_capacity: MAX_CAPACITY gives a channel or a RangeError, never an abort', () => {
  for (const cap of [MAX_CAPACITY, MAX_CAPACITY - 1]) {
    let pair
    try {
      pair = channel(cap)
    } catch (e) {
      assert.equal(e.code, 'INVALID')
      assert.ok(e instanceof RangeError)
      assert.match(e.message, new RegExp(`^cannot allocate a ring of ${cap} slots \\(\\d+ bytes\\)$`))
      continue
    }
    assert.equal(pair[0].capacity, cap)
    pair[1].dispose()
  }
  for (const c of [MAX_CAPACITY + 1, 2 ** 53, 1e300]) throwsWith(() => channel(c), 'INVALID', RangeError)
})

test('s22_argument_types: tokens that are not strings are TypeErrors; long strings are refused unread', () => {
  for (const bad of [42, null, undefined, {}, ['funnelq'], Symbol('t'), 1n]) {
    throwsWith(() => Sender.fromToken(bad), 'INVALID', TypeError)
    throwsWith(() => Receiver.fromToken(bad), 'INVALID', TypeError)
    throwsWith(() => revokeToken(bad), 'INVALID', TypeError)
  }
  const e = throwsWith(() => Sender.fromToken(42), 'INVALID', TypeError)
  assert.equal(e.message, 'token must be a string')
  const long = 'funnelq:s:' + '9'.repeat(50_000_000)
  const e2 = throwsWith(() => Sender.fromToken(long), 'INVALID', Error)
  assert.match(e2.message, /a string of 50000010 bytes is not a funnelq share token/)
  assert.equal(revokeToken(long), false)
})

test('s22_argument_types: batches, counts and options of the wrong type are TypeErrors', async () => {
  const [tx, rx] = channel(8)
  for (const notArray of ['abc', 5, null, undefined, {}, { length: 3 }, new Set([1]), new Uint8Array(3)]) {
    throwsWith(() => tx.trySendBatch(notArray), 'INVALID', TypeError)
    throwsWith(() => tx.sendBatchSync(notArray), 'INVALID', TypeError)
    throwsWith(() => tx.sendBatch(notArray), 'INVALID', TypeError)
  }
  // A hole is an undefined element: named by index, nothing enqueued.
  const e = throwsWith(() => tx.trySendBatch([1, 2, , 4]), 'INVALID', TypeError) // eslint-disable-line no-sparse-arrays
  assert.match(e.message, /^msgs\[2\]: message must be/)
  // Elements past what fits are still checked: the bad one throws, nothing goes in.
  tx.trySendBatch([0, 1, 2, 3, 4, 5, 6])
  throwsWith(() => tx.trySendBatch([7, 8, {}]), 'INVALID', TypeError)
  assert.equal(tx.len, 7)
  // A getter that throws: its own error propagates, nothing enqueued.
  const trap = [9]
  Object.defineProperty(trap, 1, { get: () => { throw new SyntaxError('from the getter') } })
  assert.throws(() => tx.trySendBatch(trap), SyntaxError)
  assert.equal(tx.len, 7)
  for (const max of ['5', null, undefined, {}, 5n]) {
    throwsWith(() => rx.tryRecvBatch(max), 'INVALID', TypeError)
    throwsWith(() => rx.recvBatch(max), 'INVALID', TypeError)
  }
  for (const c of ['8', null, undefined, {}, 8n]) throwsWith(() => channel(c), 'INVALID', TypeError)
  // A getter on options that throws propagates too.
  const opts = { get timeout() { throw new EvalError('options getter') } }
  assert.throws(() => rx.recvSync(opts), EvalError)
  assert.deepEqual(rx.tryRecvBatch(10), [0, 1, 2, 3, 4, 5, 6])
  await rejectsWith(rx.recv({ timeout: 1 }), 'TIMEOUT')
  rx.dispose()
})

test('s22_random_arguments: 20 000 calls with hostile arguments only ever throw documented errors', async () => {
  // A seeded generator, so a failure names a reproducible call.
  let seed = 0x5eed1234
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return seed % n
  }
  class Hostile extends Error {}
  const throwing = () => {
    throw new Hostile('from a getter')
  }
  const pool = [
    undefined, null, true, 0, -0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e9, MAX_BATCH, MAX_BATCH + 1, 2 ** 32,
    '', 'x', 'funnelq:s:00000001:1:0000000000000000', 'é'.repeat(1000), Symbol('s'), 10n, () => 1,
    {}, [], [1, 'a', Buffer.alloc(2)], [1, , 3], new Array(1e9), new Array(MAX_BATCH + 1), [{}], [[1]], // eslint-disable-line no-sparse-arrays
    { length: 2, 0: 1, 1: 2 }, new Proxy([1, 2], { get: throwing }), Object.defineProperty([1, 2], 1, { get: throwing }),
    new Uint8Array(4), new Uint16Array(2), new ArrayBuffer(8), new DataView(new ArrayBuffer(2)), Buffer.alloc(16),
    { timeout: 1 }, { timeout: -1 }, { timeout: '1' }, { timeout: NaN }, { signal: 1 }, { signal: AbortSignal.abort() },
    { get timeout() { return throwing() } }, new Proxy({}, { get: throwing }), AbortSignal.abort(),
  ]
  const codes = new Set(['CLOSED', 'TIMEOUT', 'INVALID', 'BUSY', 'ABORT_ERR'])
  const methods = {
    sender: ['send', 'sendSync', 'trySend', 'sendBatch', 'sendBatchSync', 'trySendBatch', 'clone', 'close', 'share'],
    receiver: ['recv', 'recvSync', 'tryRecv', 'recvBatch', 'recvBatchSync', 'tryRecvBatch'],
    module: ['channel', 'revokeToken'],
  }
  const blocking = new Set(['sendSync', 'sendBatchSync', 'recvSync', 'recvBatchSync'])
  const mod = require('..')
  const pending = []
  let [tx, rx] = channel(4)
  const check = (e, call) => {
    if (e instanceof Hostile) return
    assert.ok(codes.has(e.code), `${call} threw ${e.constructor.name} ${e.code}: ${e.message}`)
    assert.equal(e.message[0], e.message[0].toLowerCase(), `${call}: "${e.message}" starts lower-case`)
  }
  for (let i = 0; i < 20_000; i++) {
    const kind = ['sender', 'receiver', 'module'][rand(3)]
    const name = methods[kind][rand(methods[kind].length)]
    const args = Array.from({ length: rand(3) }, () => pool[rand(pool.length)])
    // Large valid capacities only cost time here (s22_hostile_capacity covers them).
    if (name === 'channel' && typeof args[0] === 'number' && args[0] > 64 && args[0] <= MAX_CAPACITY) args[0] = 64
    // A blocking form must not block this thread: it always gets a short timeout.
    if (blocking.has(name)) args[name.includes('Batch') || name === 'sendSync' ? 1 : 0] = { timeout: 0 }
    const call = `#${i} ${name}(${args.map((a) => typeof a).join(', ')})`
    try {
      const target = kind === 'sender' ? tx : kind === 'receiver' ? rx : mod
      const out = target[name](...args)
      if (out && typeof out.then === 'function') pending.push(out.then(() => {}, (e) => check(e, call)))
      if (name === 'channel') out[1].dispose()
      if (name === 'clone') out.dispose()
      if (name === 'share') mod.revokeToken(out)
    } catch (e) {
      check(e, call)
    }
    if (i % 500 === 499) {
      // A fresh channel now and then: a closed one would only ever say CLOSED.
      rx.dispose()
      ;[tx, rx] = channel(1 + rand(8))
    }
  }
  rx.dispose()
  await Promise.all(pending)
})
