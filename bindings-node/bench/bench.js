'use strict'
// funnelq vs MessagePort.postMessage: P producer worker_threads -> one consumer on the
// main thread, every form measured in the same process.
//
//   node bench/bench.js [--quick] [--reps N] [--run-ms MS] [--budget S]
//                       [--producers 1,2,4] [--json FILE] [--command TEXT]
//
// Each (case, producers, form) gets N timed runs sized to last about MS each (from an
// untimed sizing run per case and form, then from the last measured rate); the figure
// is the median of the N. The forms take turns within each round, so a burst of load
// from elsewhere on the machine hits all of them alike rather than one. Wall-clock is
// about 9 configurations x 4 forms x N x (MS + worker start-ups): ~40 s with the
// defaults on 2 cores. When a loaded machine makes it slower, later configurations get
// shorter runs (never fewer) so that the whole stays within --budget seconds (default
// 60; 0 = no limit). stdout gets the Markdown table, stderr the progress; --json
// writes the schema ci/bench_report.py reads.
const fs = require('node:fs')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { channel } = require('..')

const CAPACITY = 1024 // funnelq capacity = postMessage credit window
const BATCH = 256 // messages per sendBatchSync call
const RECV_MAX = 4096 // messages per recvBatch call
const SIZING_COUNT = 10_000 // messages per producer in the untimed sizing run
// Bounds on a timed run's messages per producer, whatever the sizing estimated: enough
// that the run is more than a worker's warm-up (its interpreter and JIT start inside
// the timed window), few enough that a badly sized run cannot take minutes.
const MIN_COUNT = 2_000
const MAX_COUNT = 5_000_000

const FORMS = [
  { mode: 'funnelq', impl: 'funnelq sendSync', role: 'funnelq' },
  { mode: 'funnelq-batch', impl: `funnelq sendBatchSync(${BATCH})`, role: 'funnelq' },
  { mode: 'postMessage', impl: 'postMessage', role: 'native' },
  { mode: 'postMessage-credit', impl: `postMessage, ${CAPACITY} credits`, role: 'other' },
]
const CASES = [
  { payload: 'small', name: `small messages (a number), capacity ${CAPACITY}` },
  { payload: '64', name: `64 B Buffer, capacity ${CAPACITY}` },
  { payload: '4096', name: `4 KiB Buffer, capacity ${CAPACITY}` },
]

function parseArgs(argv) {
  const quick = argv.includes('--quick')
  const opts = {
    quick,
    reps: quick ? 1 : 3,
    runMs: quick ? 40 : 250,
    budget: quick ? 0 : 60,
    producers: [1, 2, 4],
    json: null,
    command: 'bash ci/bench-node.sh',
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`)
      return argv[++i]
    }
    const positive = (s) => {
      const n = Number(s)
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a}: ${s} is not a positive integer`)
      return n
    }
    const seconds = (s) => {
      const n = Number(s)
      if (!(n >= 0)) throw new Error(`${a}: ${s} is not a number of seconds`)
      return n
    }
    if (a === '--quick') continue
    else if (a === '--reps') opts.reps = positive(value())
    else if (a === '--run-ms') opts.runMs = positive(value())
    else if (a === '--budget') opts.budget = seconds(value())
    else if (a === '--producers') opts.producers = value().split(',').map(positive)
    else if (a === '--json') opts.json = value()
    else if (a === '--command') opts.command = value()
    else throw new Error(`unknown argument ${a}`)
  }
  return opts
}

// One run: `producers` workers each send `count` messages; returns the seconds from the
// start flag until the consumer holds every message.
async function runOnce(mode, payload, producers, count) {
  const total = count * producers
  const flags = new SharedArrayBuffer(4 * (1 + producers))
  const f = new Int32Array(flags) // [0] start flag, [1 + id] messages main took from worker id
  const fq = mode.startsWith('funnelq')
  const [tx, rx] = fq ? channel(CAPACITY) : [null, null]
  const ready = []
  const exits = []
  let received = 0
  let finish
  const finished = new Promise((r) => (finish = r))
  for (let id = 0; id < producers; id++) {
    const w = new Worker(path.join(__dirname, 'worker.js'), {
      workerData: { mode, count, payload, id, flags, window: CAPACITY, batch: BATCH, token: fq ? tx.share() : null },
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
  }
  // Only the workers' senders remain, so the channel closes when the last one is done.
  if (fq) tx.dispose()
  await Promise.all(ready)
  const t0 = process.hrtime.bigint()
  Atomics.store(f, 0, 1)
  Atomics.notify(f, 0)
  if (fq) {
    while (received < total) received += (await rx.recvBatch(RECV_MAX)).length
  } else {
    await finished
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  await Promise.all(exits)
  if (fq) {
    // Every worker has disposed its sender: the channel must be closed and drained.
    let extra = 0
    try {
      extra = (await rx.recvBatch(1)).length
    } catch (e) {
      if (e.code !== 'CLOSED') throw e
    }
    if (extra) throw new Error(`${mode}: more than the ${total} messages sent arrived`)
    rx.dispose()
  }
  if (received !== total) throw new Error(`${mode}: received ${received} of ${total}`)
  return seconds
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

const runLengths = (ms) => {
  const lo = Math.min(...ms)
  const hi = Math.max(...ms)
  return lo === hi ? `${lo} ms` : `${lo}–${hi} ms (shorter where a loaded machine left less of the time budget)`
}

const fmtRate = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`)

function environment() {
  const pkg = require('../package.json')
  let napi = ''
  try {
    const lock = fs.readFileSync(path.join(__dirname, '..', '..', 'Cargo.lock'), 'utf8')
    const m = /name = "napi"\nversion = "([^"]+)"/.exec(lock)
    if (m) napi = ` (napi-rs ${m[1]} addon)`
  } catch {
    // Outside the repository (e.g. an installed package) there is no Cargo.lock.
  }
  return `Node.js ${process.version}, funnelq ${pkg.version} npm package${napi}`
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const MIN_RUN_MS = 50 // shorter runs would measure worker start-up more than the channel
  let runMs = opts.runMs
  const usedRunMs = []
  const configs = CASES.length * opts.producers.length
  const results = []
  const rows = []
  for (const c of CASES) {
    // Expected msg/s per form: from a sizing run at the case's first producer count,
    // then from the previous producer count's median.
    const expected = {}
    for (const form of FORMS) {
      const p = opts.producers[0]
      expected[form.mode] = (SIZING_COUNT * p) / (await runOnce(form.mode, c.payload, p, SIZING_COUNT))
    }
    for (const producers of opts.producers) {
      const configStarted = Date.now()
      usedRunMs.push(runMs)
      const counts = {}
      for (const form of FORMS) {
        const n = Math.round((expected[form.mode] * runMs) / 1000 / producers)
        counts[form.mode] = Math.min(MAX_COUNT, Math.max(MIN_COUNT, n))
      }
      const rates = Object.fromEntries(FORMS.map((form) => [form.mode, []]))
      for (let rep = 0; rep < opts.reps; rep++) {
        for (const form of FORMS) {
          const count = counts[form.mode]
          const seconds = await runOnce(form.mode, c.payload, producers, count)
          const rate = (count * producers) / seconds
          rates[form.mode].push(rate)
          // A rate far off the expected one (load from elsewhere, a form that scales
          // differently with P) would otherwise make every later run as far off its length.
          const n = Math.round((rate * runMs) / 1000 / producers)
          counts[form.mode] = Math.min(MAX_COUNT, Math.max(MIN_COUNT, n))
        }
      }
      const med = {}
      for (const form of FORMS) {
        med[form.mode] = median(rates[form.mode])
        expected[form.mode] = med[form.mode]
        results.push({
          case: c.name,
          producers,
          impl: form.impl,
          role: form.role,
          msgs_per_sec: Math.round(med[form.mode]),
        })
      }
      rows.push({ c, producers, med })
      console.error(
        `bench-node: ${c.name}, P=${producers}: ` +
          FORMS.map((form) => `${form.impl} ${fmtRate(med[form.mode])}`).join(', ') +
          ` (runs of ~${runMs} ms; ${((Date.now() - started) / 1000).toFixed(1)} s so far)`,
      )
      const left = configs - rows.length
      if (opts.budget > 0 && left > 0) {
        // What this configuration spent beside its timed runs (start-ups, sizing) is
        // taken as the cost of each later one; the runs share what the budget leaves.
        const seconds = (Date.now() - configStarted) / 1000
        const overhead = Math.max(0, seconds - (FORMS.length * opts.reps * runMs) / 1000)
        const perConfig = (opts.budget - (Date.now() - started) / 1000) / left
        const fit = Math.floor(((perConfig - overhead) * 1000) / (FORMS.length * opts.reps))
        runMs = Math.min(opts.runMs, Math.max(MIN_RUN_MS, fit))
      }
    }
  }

  const ratio = (a, b) => `${(a / b).toFixed(2)}×`
  const lines = [
    `Messages per second, ${opts.reps > 1 ? `median of ${opts.reps} timed runs` : 'one timed run'} ` +
      `of about ${runLengths(usedRunMs)} per cell; P is the number of producer workers.`,
    '',
    '| case | P | ' +
      FORMS.map((form) => `${form.impl} (msg/s)`).join(' | ') +
      ' | sendSync ÷ postMessage | sendBatchSync ÷ postMessage |',
    '|---|---:|' + '---:|'.repeat(FORMS.length + 2),
  ]
  for (const { c, producers, med } of rows) {
    lines.push(
      `| ${c.name} | ${producers} | ` +
        FORMS.map((form) => fmtRate(med[form.mode])).join(' | ') +
        ` | ${ratio(med.funnelq, med.postMessage)} | ${ratio(med['funnelq-batch'], med.postMessage)} |`,
    )
  }
  console.log(lines.join('\n'))

  if (opts.json) {
    const report = {
      language: 'Node.js',
      native: 'postMessage',
      command: opts.command,
      environment: environment(),
      plot_case: CASES[0].name,
      results,
    }
    fs.writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n')
  }
  console.error(`bench-node: done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
