// S09 empty + recv timeout, S10 send timeout (strict lower bound, loose upper bound).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from '../pkg/index.js';
import { codeOf, run, SLACK_MS } from './harness.mjs';

test('s09_empty: tryRecv is undefined, tryRecvBatch []; recvSync({ timeout: 200 }) in a worker times out after >= 200 ms', async () => {
  const [tx, rx] = channel(4);
  assert.equal(rx.tryRecv(), undefined);
  assert.deepEqual(rx.tryRecvBatch(4), []);
  const token = rx.share();
  const r = await run('recvOne', { token, timeoutMs: 200, keep: true });
  assert.equal(r.outcome, 'TIMEOUT');
  assert.ok(r.ms >= 200, `timed out after ${r.ms} ms (< 200)`);
  assert.ok(r.ms < 200 + SLACK_MS, `timed out after ${r.ms} ms`);
  // A message that is there is returned at once, timeout or not.
  tx.trySend('here');
  const r2 = await run('recvOne', { token: r.back, timeoutMs: 5000 });
  assert.equal(r2.outcome, 'ok');
  assert.equal(r2.msg, 'here');
  assert.ok(r2.ms < SLACK_MS);
  tx.dispose();
});

test('s10_timeouts: sendSync(m, { timeout: 250 }) on a full channel times out, nothing enqueued', async () => {
  const [tx, rx] = channel(1);
  tx.trySend('full');
  const r = await run('sendOne', { token: tx.share(), msg: 'late', timeoutMs: 250 });
  assert.equal(r.outcome, 'TIMEOUT');
  assert.ok(r.ms >= 250, `timed out after ${r.ms} ms (< 250)`);
  assert.ok(r.ms < 250 + SLACK_MS, `timed out after ${r.ms} ms`);
  assert.equal(rx.len, 1);
  assert.equal(rx.tryRecv(), 'full');
  assert.equal(rx.tryRecv(), undefined);
  // Zero timeout: an immediate answer.
  tx.trySend('full');
  const z = await run('sendOne', { token: tx.share(), msg: 'late', timeoutMs: 0 });
  assert.equal(z.outcome, 'TIMEOUT');
  assert.ok(z.ms < SLACK_MS);
  tx.dispose();
  rx.dispose();
});

test('s10_timeouts: a bad timeout is a RangeError, a non-object options a TypeError (INVALID), nothing sent', () => {
  const [tx, rx] = channel(1);
  for (const t of [-1, Number.NaN, -Infinity]) {
    const e = (() => {
      try {
        tx.sendSync('x', { timeout: t });
      } catch (err) {
        return err;
      }
    })();
    assert.ok(e instanceof RangeError);
    assert.equal(e.code, 'INVALID');
    assert.equal(codeOf(() => rx.recvSync({ timeout: t })), 'INVALID');
  }
  for (const o of [5, 'x', () => 1]) {
    const e = (() => {
      try {
        tx.sendSync('x', o);
      } catch (err) {
        return err;
      }
    })();
    assert.ok(e instanceof TypeError, `options ${String(o)}`);
    assert.equal(e.code, 'INVALID');
  }
  // A blocking form takes no signal: a TypeError, not a silent ignore.
  const signal = new AbortController().signal;
  assert.equal(codeOf(() => rx.recvSync({ signal })), 'INVALID');
  assert.equal(codeOf(() => tx.sendSync('x', { timeout: 0, signal })), 'INVALID');
  assert.equal(rx.len, 0);
  tx.dispose();
  rx.dispose();
});
