// Benchmark roles, run in Node worker_threads or web workers (same code):
// funnelq producer/consumer and postMessage producer/consumer. A worker serves one
// role after another (bench-core.mjs keeps a pool), then `exit` before it is terminated.
import { exitWorker, initWorker, Receiver, Sender } from '../pkg/index.js';

const isNode = typeof process !== 'undefined' && process.versions?.node;
let post;
let onMsg;
if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  post = (m) => parentPort.postMessage(m);
  onMsg = (f) => parentPort.on('message', f);
} else {
  post = (m) => self.postMessage(m);
  onMsg = (f) => (self.onmessage = ({ data }) => f(data));
}

function waitGo(go) {
  const g = new Int32Array(go);
  while (Atomics.load(g, 0) === 0) Atomics.wait(g, 0, 0);
}

function makeMsg(p, i, size) {
  if (size === 0) return `${p}:${i}`;
  const b = new Uint8Array(size);
  b[0] = p;
  b[1] = i & 255;
  return b;
}

const roles = {
  fqProduce({ shared, token, p, n, size, go, batch = 0 }) {
    initWorker(shared);
    const tx = Sender.fromToken(token);
    post({ ready: true });
    waitGo(go);
    if (batch > 0) {
      for (let i = 0; i < n; i += batch) {
        const msgs = [];
        for (let j = i; j < Math.min(n, i + batch); j++) msgs.push(makeMsg(p, j, size));
        tx.sendBatchSync(msgs);
      }
    } else {
      for (let i = 0; i < n; i++) tx.sendSync(makeMsg(p, i, size));
    }
    tx.dispose();
    return { sent: n };
  },
  fqConsume({ shared, token, go }) {
    initWorker(shared);
    const rx = Receiver.fromToken(token);
    post({ ready: true });
    waitGo(go);
    let n = 0;
    let bytes = 0;
    for (;;) {
      let batch;
      try {
        batch = rx.recvBatchSync(256);
      } catch (e) {
        if (e.code === 'CLOSED') break;
        throw e;
      }
      n += batch.length;
      for (const m of batch) bytes += m.length;
    }
    rx.dispose();
    return { received: n, bytes };
  },
  pmProduce({ port, p, n, size, go }) {
    post({ ready: true });
    waitGo(go);
    for (let i = 0; i < n; i++) port.postMessage(makeMsg(p, i, size));
    port.close();
    return { sent: n };
  },
  pmConsume({ ports, total }) {
    return new Promise((resolve) => {
      let n = 0;
      let bytes = 0;
      for (const port of ports) {
        port.onmessage = ({ data }) => {
          n++;
          bytes += data.length;
          if (n === total) {
            for (const q of ports) q.close();
            resolve({ received: n, bytes });
          }
        };
      }
      post({ ready: true });
    });
  },
  exit() {
    exitWorker();
    return {};
  },
};

onMsg(async ({ role, args }) => {
  try {
    post({ done: true, result: await roles[role](args) });
  } catch (e) {
    post({ done: true, error: `${e?.code ?? ''} ${e?.message ?? e}` });
  }
});
