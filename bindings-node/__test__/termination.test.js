'use strict'
// S21 participant failure: a worker that is terminated (or a process that exits) while
// sending, receiving or blocked costs no other participant a message or its progress.
//  - worker.terminate() and process.exit() return promptly while a call blocks;
//  - a dead worker's senders stop counting (S12), a dead receiver closes the channel (S13);
//  - every message a sender saw OK is received exactly once, in order, by the survivors
//    (or was still queued when the receiver went away, S04).
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const { channel } = require('..')
const { sleep, settle } = require('./helpers')

const PARTICIPANT = path.join(__dirname, 'workers', 'participant.js')
const SEQ = 1e6
const PROMPT_MS = 1000 // "returns within a second"

/** A worker running participant.js, with a queue of the events it posts. */
class Participant {
  constructor() {
    this.worker = new Worker(PARTICIPANT)
    this.events = []
    this.waiters = []
    this.exited = false
    this.worker.on('message', (m) => this.push(m))
    this.worker.on('error', (e) => this.push({ ev: 'error', error: e }))
    this.worker.on('exit', () => {
      this.exited = true
      this.push({ ev: 'exit' })
    })
    this.up = this.next('up')
  }

  push(m) {
    const i = this.waiters.findIndex((w) => w.ev === m.ev || m.ev === 'exit' || m.ev === 'error')
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m)
    else this.events.push(m)
  }

  /** The next event named `ev` (or an error/exit, which ends every wait). */
  next(ev, ms = 10_000) {
    const i = this.events.findIndex((m) => m.ev === ev || m.ev === 'exit' || m.ev === 'error')
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0])
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no '${ev}' from the worker within ${ms} ms`)), ms)
      this.waiters.push({ ev, resolve: (m) => (clearTimeout(t), resolve(m)) })
    })
  }

  run(job) {
    this.worker.postMessage(job)
    return this.next('ready')
  }

  /** Terminates the worker; resolves with how long terminate() took. */
  async kill() {
    const t0 = performance.now()
    await this.worker.terminate()
    return performance.now() - t0
  }
}

/** Idle participants, started ahead of need (a worker takes ~70 ms to start on 2 cores). */
class Pool {
  constructor(target) {
    this.target = target
    this.idle = []
    this.fill()
  }

  fill() {
    while (this.idle.length < this.target) this.idle.push(new Participant())
  }

  async take() {
    const p = this.idle.shift() ?? new Participant()
    this.fill()
    const up = await p.up
    assert.equal(up.ev, 'up', 'a participant starts')
    return p
  }

  give(p) {
    if (!p.exited) this.idle.push(p)
  }

  async close() {
    await Promise.all(this.idle.map((p) => p.worker.terminate()))
    this.idle = []
  }
}

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)]
const SEND_MODES = ['sendSync', 'sendBatchSync', 'send', 'sendPipelined', 'sendBatch', 'trySend']
const RECV_MODES = ['recvSync', 'recvBatchSync', 'recv', 'recvBatch', 'forAwait', 'forOf']
/** How many sends a producer may have made beyond those it saw OK (in flight when killed). */
const inflight = (mode, batch) => (['sendBatchSync', 'sendBatch', 'sendPipelined'].includes(mode) ? batch : 1)

/** Receives on the main thread until end of stream, or throws after `ms`. */
async function drain(rx, form, ms) {
  const got = []
  const deadline = Date.now() + ms
  const left = () => Math.max(1, deadline - Date.now())
  for (;;) {
    let r
    if (form === 'recv') r = await settle(rx.recv({ timeout: left() }).then((m) => [m]))
    else r = await settle(rx.recvBatch(64, { timeout: left() }))
    if (r.ok) got.push(...r.value)
    else if (r.error.code === 'CLOSED') return got
    else throw new Error(`receiver stuck: ${r.error.code} after ${ms} ms (${got.length} received)`)
  }
}

/** Checks S03/S04 for producer `id`: its messages in `got` are exactly 0..k-1, in order. */
function receivedOf(got, id, label) {
  const mine = got.filter((m) => Math.floor(m / SEQ) === id).map((m) => m - id * SEQ)
  mine.forEach((seq, i) => assert.equal(seq, i, `producer ${id} (${label}): message ${i} is ${seq} (gap or duplicate)`))
  return mine.length
}

/** One of three senders dies at a random moment; the main thread receives; the others finish. */
async function sendersDie(pool, round) {
  const P = 3
  const N = 300
  const cap = pick([1, 2, 8, 64])
  const [tx, rx] = channel(cap)
  const sab = new SharedArrayBuffer(4 * (2 * P + 1))
  const sent = new Int32Array(sab)
  const parts = await Promise.all(Array.from({ length: P }, () => pool.take()))
  const jobs = parts.map((_, id) => ({ role: 'send', mode: pick(SEND_MODES), batch: 1 + ((round * 7 + id * 13) % 40), count: N, id, sab, token: tx.share() }))
  tx.dispose() // the workers hold the only senders
  const received = drain(rx, pick(['recv', 'recvBatch']), 10_000)
  await Promise.all(parts.map((p, i) => p.run(jobs[i])))
  const victim = Math.floor(Math.random() * P)
  await sleep(Math.random() * 20)
  const ms = await parts[victim].kill()
  assert.ok(ms < PROMPT_MS, `terminate() during ${jobs[victim].mode} took ${ms.toFixed(0)} ms`)
  for (let id = 0; id < P; id++) {
    if (id === victim) continue
    const done = await parts[id].next('done')
    assert.equal(done.code, undefined, `the surviving ${jobs[id].mode} finished`)
  }
  const got = await received
  for (let id = 0; id < P; id++) {
    const k = receivedOf(got, id, jobs[id].mode)
    const ok = Atomics.load(sent, id)
    if (id !== victim) assert.equal(k, N, `survivor ${jobs[id].mode} delivered all`)
    assert.ok(k >= ok, `producer ${id} (${jobs[id].mode}): ${ok} sends saw OK, only ${k} received`)
    assert.ok(k <= ok + inflight(jobs[id].mode, jobs[id].batch), `producer ${id} (${jobs[id].mode}): ${k} received, ${ok} OK`)
  }
  parts.forEach((p) => pool.give(p))
  return { killed: 1, messages: got.length }
}

/** The receiving worker dies at a random moment; both producers must end with CLOSED. */
async function receiverDies(pool, round) {
  const P = 2
  const cap = pick([1, 4, 32])
  const batch = 1 + (round % 100)
  const [tx, rx] = channel(cap)
  const sab = new SharedArrayBuffer(4 * (2 * P + 1))
  const counts = new Int32Array(sab)
  const [recvr, sender] = await Promise.all([pool.take(), pool.take()])
  const rmode = pick(RECV_MODES)
  const smode = pick(SEND_MODES)
  await recvr.run({ role: 'recv', mode: rmode, batch, producers: P, sab, token: rx.share() })
  await sender.run({ role: 'send', mode: smode, batch: 8, count: 1e6, id: 1, sab, token: tx.share() })
  // The main thread is producer 0, with Promise sends.
  let mainOk = 0
  const mainLoop = (async () => {
    for (;;) {
      const r = await settle(tx.send(mainOk))
      if (!r.ok) return r.error.code
      mainOk++
    }
  })()
  await sleep(Math.random() * 25)
  const ms = await recvr.kill()
  assert.ok(ms < PROMPT_MS, `terminate() of a ${rmode} receiver took ${ms.toFixed(0)} ms`)
  const t0 = performance.now()
  const mainEnd = await Promise.race([mainLoop, sleep(PROMPT_MS * 2).then(() => 'stuck')])
  assert.equal(mainEnd, 'CLOSED', `the main thread's send ended with ${mainEnd} after the ${rmode} receiver died`)
  const done = await sender.next('done', PROMPT_MS * 2)
  assert.equal(done.code, 'CLOSED', `the ${smode} sender ended with ${JSON.stringify(done)} (${counts.join(',')}, receiver ${rmode})`)
  assert.ok(performance.now() - t0 < PROMPT_MS * 2)
  assert.equal(Atomics.load(counts, 2 * P), 0, `the ${rmode} receiver saw a gap or a duplicate: ${Atomics.load(counts, 2 * P) - 1}`)
  const okBy = [mainOk, Atomics.load(counts, 1)]
  let unaccounted = 0
  for (let id = 0; id < P; id++) {
    const r = Atomics.load(counts, P + id)
    assert.ok(r <= okBy[id] + inflight(id ? smode : 'send', 8), `producer ${id}: ${r} received of ${okBy[id]} sent`)
    unaccounted += Math.max(0, okBy[id] - r)
  }
  // Not received: still queued when the receiver went (at most cap), or handed to the dying
  // worker's JS before it could record them (at most one batch).
  assert.ok(unaccounted <= cap + batch, `${unaccounted} messages neither received nor queued (cap ${cap}, batch ${batch})`)
  tx.dispose()
  pool.give(sender)
  return { killed: 1, messages: okBy[0] + okBy[1] }
}

test('s21_workers_terminated_under_load: exact accounting and survivors finish, 200 rounds', { timeout: 120_000 }, async () => {
  const rounds = Number(process.env.FUNNELQ_S21_ROUNDS ?? 200)
  const pool = new Pool(4)
  const t0 = performance.now()
  let killed = 0
  let messages = 0
  try {
    for (let round = 0; round < rounds; round++) {
      const r = round % 2 ? await receiverDies(pool, round) : await sendersDie(pool, round)
      killed += r.killed
      messages += r.messages
    }
  } finally {
    await pool.close()
  }
  console.log(`# s21: ${rounds} rounds, ${killed} workers terminated, ${messages} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
})

test('s21_blocked_worker_terminates_promptly: every blocking form, and what it held is released', async () => {
  const pool = new Pool(2)
  try {
    for (const mode of ['recvSync', 'recvBatchSync', 'forOf', 'recv', 'recvBatch', 'forAwait']) {
      // A receiver blocked on an empty channel: terminate() is prompt, senders see CLOSED at once.
      const [tx, rx] = channel(2)
      const p = await pool.take()
      await p.run({ role: 'recv', mode, batch: 100, producers: 1, sab: new SharedArrayBuffer(12), token: rx.share() })
      await sleep(60)
      const ms = await p.kill()
      assert.ok(ms < PROMPT_MS, `terminate() during ${mode} took ${ms.toFixed(0)} ms`)
      const t0 = performance.now()
      while (!tx.closed && performance.now() - t0 < PROMPT_MS) await sleep(5)
      assert.throws(() => tx.trySend(1), (e) => e.code === 'CLOSED', `the dead ${mode} receiver closed the channel`)
    }
    for (const mode of ['sendSync', 'sendBatchSync', 'sendSyncBehindPromise', 'send', 'sendBatch']) {
      // A sender blocked on a full channel: terminate() is prompt and its sender stops counting.
      const [tx, rx] = channel(1)
      tx.trySend('fill')
      const p = await pool.take()
      await p.run({ role: 'send', mode, batch: 50, count: 100, id: 0, sab: new SharedArrayBuffer(12), token: tx.share() })
      tx.dispose()
      await sleep(60)
      const ms = await p.kill()
      assert.ok(ms < PROMPT_MS, `terminate() during ${mode} took ${ms.toFixed(0)} ms`)
      assert.equal(rx.tryRecv(), 'fill')
      const t0 = performance.now()
      const end = await settle(rx.recv({ timeout: PROMPT_MS }))
      assert.equal(end.ok ? `message ${end.value}` : end.error.code, 'CLOSED', `the dead ${mode} sender stopped counting`)
      assert.ok(performance.now() - t0 < PROMPT_MS)
    }
  } finally {
    await pool.close()
  }
})

/** Runs workers/exit-child.js; sends SIGINT once it prints 'ready'; resolves with its exit. */
function runChild(how) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'workers', 'exit-child.js'), how], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    let t0 = 0
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.stdout.on('data', (d) => {
      out += d
      if (!t0 && out.includes('ready')) {
        t0 = performance.now()
        if (how === 'sigint') child.kill('SIGINT')
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      resolve({ code, signal, ms: performance.now() - t0 })
    })
  })
}

test('s21_process_exit_returns_promptly: process.exit() from a SIGINT handler while workers block', async () => {
  const r = await runChild('sigint')
  assert.equal(r.code, 7, `exit code ${r.code} (signal ${r.signal})`)
  assert.ok(r.ms < PROMPT_MS, `process.exit() took ${r.ms.toFixed(0)} ms after SIGINT`)
})

test('s21_process_exit_returns_promptly: process.exit() from a timer while workers block', async () => {
  const r = await runChild('timer')
  assert.equal(r.code, 5, `exit code ${r.code} (signal ${r.signal})`)
  // The timer fires ~50 ms after 'ready'.
  assert.ok(r.ms < 50 + PROMPT_MS, `process.exit() took ${r.ms.toFixed(0)} ms`)
})
