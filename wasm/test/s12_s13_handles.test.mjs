// S12 senders gone, S13 receiver gone, token hand-over between threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, pendingTokens, Sender } from '../pkg/index.js';
import { codeOf, run, sleep, spawn, until } from './harness.mjs';

test('s12_senders_gone: disposing every sender ends the stream after the drain', async () => {
  const [tx, rx] = channel(4);
  const tx2 = tx.clone();
  tx.trySend('a');
  tx2.trySend('b');
  tx.dispose();
  assert.equal(rx.closed, false, 'one sender left');
  tx2.dispose();
  assert.equal(rx.tryRecv(), 'a');
  assert.equal(rx.tryRecv(), 'b');
  assert.equal(codeOf(() => rx.tryRecv()), 'CLOSED');
  rx.dispose();
});

test('s12_senders_gone: a receiver blocked in a worker wakes when the last sender is disposed', async () => {
  const [tx, rx] = channel(4);
  const started = new SharedArrayBuffer(4);
  const w = spawn('recvOne', { token: rx.share(), started });
  assert.ok(await until(() => Atomics.load(new Int32Array(started), 0) === 1), 'worker started');
  await sleep(100);
  tx.dispose();
  const r = await w.done;
  assert.equal(r.outcome, 'CLOSED');
});

test('s13_receiver_gone: disposing the receiver closes; senders get CLOSED', async () => {
  const [tx, rx] = channel(4);
  tx.trySend(new Uint8Array(1000));
  tx.trySend('queued');
  rx.dispose(); // queued messages are released with it
  assert.equal(tx.closed, true);
  assert.equal(codeOf(() => tx.trySend('x')), 'CLOSED');
  const r = await run('sendOne', { token: tx.share(), msg: 'x' });
  assert.equal(r.outcome, 'CLOSED');
  tx.dispose();
});

test('s13_receiver_gone: a receiver disposed in a worker wakes a sender blocked in another', async () => {
  const [tx, rx] = channel(1);
  tx.trySend('full');
  const started = new SharedArrayBuffer(4);
  const sender = spawn('sendOne', { token: tx.share(), msg: 'blocked', started });
  assert.ok(await until(() => Atomics.load(new Int32Array(started), 0) === 1), 'worker started');
  await sleep(100);
  const r = await run('recvOne', { token: rx.share() }); // takes 'full', frees the receiver
  assert.equal(r.msg, 'full');
  const s = await sender.done;
  // Either the blocked send got the freed slot before the receiver went (then it was
  // released with the receiver), or it woke with CLOSED.
  assert.ok(['ok', 'CLOSED'].includes(s.outcome));
  assert.equal(codeOf(() => tx.trySend('after')), 'CLOSED');
  tx.dispose();
});

test('s14_tokens: one-shot, kind-checked, and a moved receiver is unusable here', async () => {
  const [tx, rx] = channel(2);
  const before = pendingTokens();
  const st = tx.share();
  assert.match(st, /^funnelq:s:[0-9a-f]{8}:\d+:[0-9a-f]{16}$/);
  assert.equal(pendingTokens(), before + 1);
  assert.equal(await run('redeem', { token: st, kind: 'receiver' }), 'INVALID', 'wrong kind');
  assert.equal(await run('redeem', { token: st, kind: 'sender' }), 'ok');
  assert.equal(await run('redeem', { token: st, kind: 'sender' }), 'INVALID', 'stale: redeemed once');
  assert.equal(pendingTokens(), before);
  const rt = rx.share();
  assert.equal(codeOf(() => rx.tryRecv()), 'INVALID');
  assert.equal(codeOf(() => rx.share()), 'INVALID');
  assert.equal(codeOf(() => Sender.fromToken(rt)), 'INVALID');
  tx.trySend('via token');
  const r = await run('recvOne', { token: rt });
  assert.equal(r.msg, 'via token');
  tx.dispose();
  rx.dispose();
});

test('s13_receiver_gone: disposing a receiver with a pending recv() closes the channel', async () => {
  const [tx, rx] = channel(2);
  const p = rx.recv();
  rx.dispose();
  await assert.rejects(p, { code: 'CLOSED' });
  assert.equal(tx.closed, true);
  assert.equal(codeOf(() => tx.trySend('x')), 'CLOSED');
  tx.dispose();
});
