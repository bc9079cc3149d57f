// The page: creates the shared module + memory once, a channel, N producer workers,
// and consumes on the main thread with the Promise forms (the main thread may not block).
// In your app: import { init, channel } from 'funnelq-wasm';
import { channel, init } from '../../wasm/pkg/index.js';

const $ = (id) => document.getElementById(id);
const log = (s) => {
  $('log').textContent += s + '\n';
  console.log(s);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const shared = await init(); // first, before any worker starts

async function run({ producers, count, capacity, slow }) {
  $('log').textContent = '';
  const [tx, rx] = channel(capacity);

  // try_send hitting Full, then recv.
  let filled = 0;
  while (tx.trySend(`warm-up ${filled}`)) filled++;
  log(`trySend: ${filled} sent, then false: full (capacity ${tx.capacity})`);
  log(`recv: '${rx.tryRecv()}' … draining ${filled - 1} more`);
  rx.tryRecvBatch(filled);

  // Producers: each worker gets the shared module + memory and a sender token.
  const stats = new Int32Array(new SharedArrayBuffer(4)); // [trySend full hits]
  const done = [];
  for (let id = 0; id < producers; id++) {
    const w = new Worker(new URL('./producer.js', import.meta.url), { type: 'module' });
    done.push(new Promise((ok, fail) => {
      w.onmessage = ({ data }) => (data.error ? fail(new Error(data.error)) : ok(data));
      w.onerror = (e) => fail(new Error(e.message));
    }));
    w.postMessage({ shared, token: tx.share(), id, count, stats: stats.buffer });
  }
  const allSent = Promise.all(done).then((r) => {
    log(`producers done: ${r.map((x) => x.sent).join(' + ')} sent; closing the channel`);
    tx.close(); // the consumer drains what is queued, then sees end-of-stream
  });

  // Consumer on the main thread.
  const next = new Array(producers).fill(0);
  let received = 0;
  let outOfOrder = 0;
  const t0 = performance.now();
  let lastT = t0;
  let lastN = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    $('received').textContent = received.toLocaleString();
    $('rate').textContent = `${Math.round(((received - lastN) / (now - lastT)) * 1000).toLocaleString()} msg/s`;
    const len = tx.len;
    $('len').textContent = `${len} / ${capacity}`;
    $('fill').style.width = `${(len / capacity) * 100}%`;
    $('full').textContent = Atomics.load(stats, 0).toLocaleString();
    lastT = now;
    lastN = received;
  }, 100);
  try {
    for (;;) {
      let batch;
      try {
        batch = await rx.recvBatch(256);
      } catch (e) {
        if (e.code !== 'CLOSED') throw e;
        break;
      }
      for (const m of batch) {
        const k = m.indexOf(':');
        const p = Number(m.slice(0, k));
        if (Number(m.slice(k + 1)) !== next[p]) outOfOrder++;
        next[p]++;
      }
      received += batch.length;
      if (slow) await sleep(1);
    }
  } finally {
    clearInterval(timer);
  }
  await allSent;
  const ms = performance.now() - t0;
  const rate = Math.round((received / ms) * 1000);
  $('received').textContent = received.toLocaleString();
  $('rate').textContent = `${rate.toLocaleString()} msg/s (average)`;
  $('full').textContent = Atomics.load(stats, 0).toLocaleString();
  log(`end-of-stream: received ${received} of ${producers * count} in ${ms.toFixed(0)} ms = ${rate} msg/s; ` +
    `per-producer order ${outOfOrder === 0 ? 'kept' : `BROKEN x${outOfOrder}`}; ` +
    `trySend found the channel full ${Atomics.load(stats, 0)} times`);
  tx.dispose();
  rx.dispose();
  return { received, expected: producers * count, outOfOrder, rate, fullHits: Atomics.load(stats, 0) };
}

const read = (id) => Number($(id).value);
$('start').onclick = async () => {
  $('start').disabled = true;
  try {
    await run({ producers: read('producers'), count: read('count'), capacity: read('capacity'), slow: $('slow').checked });
  } catch (e) {
    log(`error: ${e.message}`);
  } finally {
    $('start').disabled = false;
  }
};

// ?auto=1&n=20000&slow=1 starts at once (used by smoke.mjs).
const q = new URLSearchParams(location.search);
if (q.has('auto')) {
  window.__demo = run({
    producers: Number(q.get('producers') ?? 4),
    count: Number(q.get('n') ?? 20000),
    capacity: Number(q.get('capacity') ?? 64),
    slow: q.has('slow'),
  });
}
