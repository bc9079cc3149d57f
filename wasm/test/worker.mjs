// One test worker: initWorker on the shared module + memory, run one task, report, exit.
import { parentPort, workerData } from 'node:worker_threads';
import { exitWorker, initWorker } from '../pkg/index.js';
import * as tasks from './tasks.mjs';

initWorker(workerData.shared);
let reply;
try {
  reply = { ok: true, result: await tasks[workerData.task](workerData.args) };
} catch (e) {
  reply = { ok: false, error: { message: String(e?.message ?? e), code: e?.code, stack: e?.stack } };
}
exitWorker();
parentPort.postMessage(reply);
