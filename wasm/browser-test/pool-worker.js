// A pool web worker: initWorker once (on the first message), then run task after
// task ({ seq, task, args } -> { seq, ok, result | error }) until it is terminated.
// The S21 test terminates some of them at random moments.
import { initWorker } from '../pkg/index.js';
import * as tasks from './tasks.mjs';

self.onmessage = async ({ data }) => {
  if (data.shared) {
    initWorker(data.shared);
    self.postMessage({ ready: true });
    return;
  }
  const { seq, task, args } = data;
  let reply;
  try {
    reply = { seq, ok: true, result: await tasks[task](args) };
  } catch (e) {
    reply = { seq, ok: false, error: { message: String(e?.message ?? e), code: e?.code } };
  }
  self.postMessage(reply);
};
