// A pool worker: initWorker once, then run task after task (each a message
// { seq, task, args }, answered with { seq, ok, result | error }) until it is
// terminated. The S21 test terminates some of them at random moments.
import { parentPort, workerData } from 'node:worker_threads';
import { initWorker } from '../pkg/index.js';
import * as tasks from './tasks.mjs';

initWorker(workerData.shared);
parentPort.on('message', async ({ seq, task, args }) => {
  let reply;
  try {
    reply = { seq, ok: true, result: await tasks[task](args) };
  } catch (e) {
    reply = { seq, ok: false, error: { message: String(e?.message ?? e), code: e?.code } };
  }
  parentPort.postMessage(reply);
});
parentPort.postMessage({ ready: true });
