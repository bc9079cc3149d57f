// A producer worker: joins the page's module + memory, redeems its sender token,
// sends `count` messages "id:i" (trySend first, to count backpressure; then the
// blocking sendSync, which a worker may use), disposes of the sender and ends.
import { exitWorker, initWorker, Sender } from '../../wasm/pkg/index.js';

self.onmessage = ({ data }) => {
  const { shared, token, id, count } = data;
  const stats = new Int32Array(data.stats);
  let reply;
  try {
    initWorker(shared);
    const tx = Sender.fromToken(token);
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const m = `${id}:${i}`;
      if (!tx.trySend(m)) {
        Atomics.add(stats, 0, 1);
        tx.sendSync(m); // waits for room (memory.atomic.wait32)
      }
      sent++;
    }
    tx.dispose();
    reply = { sent };
  } catch (e) {
    reply = { error: `${e.code ?? ''} ${e.message}` };
  }
  exitWorker();
  self.postMessage(reply);
  self.close();
};
