'use strict'
// Shared helpers for the funnelq node:test suite.
const path = require('node:path')
const { Worker } = require('node:worker_threads')

const SLACK_MS = 1500 // loose upper bound on a shared 2-core box

/** Runs a worker script from ./workers and resolves with its last posted message. */
function runWorker(name, workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'workers', name), { workerData })
    let last
    w.on('message', (m) => {
      last = m
    })
    w.on('error', reject)
    w.on('exit', (code) => (code === 0 ? resolve(last) : reject(new Error(`worker ${name} exited with ${code}`))))
  })
}

/** Asserts that `p` rejects with `err.code === code`; returns the error. */
async function rejectsWith(p, code) {
  try {
    await p
  } catch (e) {
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`)
    return e
  }
  throw new Error(`expected rejection with ${code}, but it resolved`)
}

/** Asserts that `fn()` throws with `err.code === code` (and optional constructor). */
function throwsWith(fn, code, ctor) {
  try {
    fn()
  } catch (e) {
    if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`)
    if (ctor && !(e instanceof ctor)) throw new Error(`expected ${ctor.name}, got ${e.constructor.name}`)
    return e
  }
  throw new Error(`expected a throw with ${code}`)
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Polls `cond()` every 5 ms until it is true or `ms` elapse; returns the last value. */
async function until(cond, ms = 5000) {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await sleep(5)
  return cond()
}

/** Settles `p` into { ok, value | error } without throwing. */
const settle = (p) =>
  p.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  )

module.exports = { runWorker, rejectsWith, throwsWith, sleep, until, settle, SLACK_MS }
