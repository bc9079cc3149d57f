'use strict'
// funnelq vs MessagePort.postMessage, producer workers -> main thread, in one run.
// Usage: node bench/bench.js [--quick]   (each case is short; the whole run < ~60 s)
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { channel } = require('..')

const quick = process.argv.includes('--quick')
const PAYLOADS = ['small', '64', '4096']
const PRODUCERS = [1, 2, 4]
const MODES = ['funnelq', 'funnelq-batch', 'postMessage', 'postMessage-credit']
const CAPACITY = 1024 // funnelq capacity = postMessage credit window
const perProducer = (payload) => (quick ? 20_000 : payload === '4096' ? 50_000 : 200_000)

async function runCase(mode, payload, producers) {
  const count = perProducer(payload)
  const total = count * producers
  const flags = new SharedArrayBuffer(4 * (1 + producers))
  const f = new Int32Array(flags)
  const fq = mode.startsWith('funnelq')
  const [tx, rx] = fq ? channel(CAPACITY) : [null, null]
  const workers = []
  const ready = []
  const exits = []
  let received = 0
  let finish
  const finished = new Promise((r) => (finish = r))
  for (let id = 0; id < producers; id++) {
    const w = new Worker(path.join(__dirname, 'worker.js'), {
      workerData: { mode, count, payload, id, flags, window: CAPACITY, token: fq ? tx.share() : null },
    })
    let seen = 0
    exits.push(new Promise((resolve, reject) => w.on('error', reject).on('exit', resolve)))
    ready.push(new Promise((r) => w.once('message', r)))
    if (!fq) {
      w.on('message', (m) => {
        if (m === 'ready') return
        seen++
        received++
        if (mode === 'postMessage-credit' && (seen & 255) === 0) {
          Atomics.store(f, 1 + id, seen)
          Atomics.notify(f, 1 + id)
        }
        if (received === total) finish()
      })
    }
    workers.push(w)
  }
  if (fq) tx.dispose()
  await Promise.all(ready)
  const t0 = process.hrtime.bigint()
  Atomics.store(f, 0, 1)
  Atomics.notify(f, 0)
  if (fq) {
    for (;;) {
      try {
        received += (await rx.recvBatch(4096)).length
      } catch (e) {
        if (e.code !== 'CLOSED') throw e
        break
      }
    }
  } else {
    await finished
  }
  const ns = Number(process.hrtime.bigint() - t0)
  await Promise.all(exits)
  if (received !== total) throw new Error(`${mode}: received ${received} of ${total}`)
  return { rate: total / (ns / 1e9), nsPerMsg: ns / total }
}

;(async () => {
  console.log(`node ${process.version}, ${require('node:os').cpus().length} cpus, capacity/window ${CAPACITY}${quick ? ', --quick' : ''}`)
  console.log('| payload | producers | ' + MODES.map((m) => `${m} (msg/s)`).join(' | ') + ' | funnelq / postMessage | funnelq-batch / postMessage |')
  console.log('|' + ' --- |'.repeat(MODES.length + 4))
  for (const payload of PAYLOADS) {
    for (const producers of PRODUCERS) {
      const r = {}
      for (const mode of MODES) r[mode] = await runCase(mode, payload, producers)
      const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`)
      console.log(
        `| ${payload === 'small' ? 'small (number)' : payload + ' B Buffer'} | ${producers} | ` +
          MODES.map((m) => fmt(r[m].rate)).join(' | ') +
          ` | ${(r.funnelq.rate / r.postMessage.rate).toFixed(1)}x | ${(r['funnelq-batch'].rate / r.postMessage.rate).toFixed(1)}x |`,
      )
    }
  }
})()
