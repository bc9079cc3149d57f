// A browser test worker: initWorker on the page's module + memory, run one task
// from the browser task list (the shared Node/browser tasks and browser-only ones),
// post the result.
import { exitWorker, initWorker } from '../pkg/index.js';
import * as tasks from './tasks.mjs';

self.onmessage = async ({ data }) => {
  initWorker(data.shared);
  let reply;
  try {
    reply = { ok: true, result: await tasks[data.task](data.args) };
  } catch (e) {
    reply = { ok: false, error: { message: String(e?.message ?? e), code: e?.code } };
  }
  exitWorker();
  self.postMessage(reply);
  self.close();
};
