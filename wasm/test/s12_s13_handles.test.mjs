// S12 senders gone, S13 receiver gone, token hand-over between threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, pendingTokens, Sender } from '../pkg/index.js';
import { codeOf, run, sleep, spawn, until } from './harness.mjs';

test('s12_senders_gone: freeing every sender ends the stream after the drain', async () => {
  const [tx, rx] = channel(4);
  const tx2 = tx.clone();
  tx.trySend('a');
  tx2.trySend('b');
  tx.free();
  assert.equal(rx.isClosed(), false, 'one sender left');
  tx2.free();
  assert.equal(rx.tryRecv(), 'a');
  assert.equal(rx.tryRecv(), 'b');
  assert.equal(codeOf(() => rx.tryRecv()), 'CLOSED');
  rx.free();
});

test('s12_senders_gone: a receiver blocked in a worker wakes when the last sender is freed', async () => {
  const [tx, rx] = channel(4);
  const started = new SharedArrayBuffer(4);
  const w = spawn('recvOne', { token: rx.token(), started });
  assert.ok(await until(() => Atomics.load(new Int32Array(started), 0) === 1), 'worker started');
  await sleep(100);
  tx.free();
  const r = await w.done;
  assert.equal(r.outcome, 'CLOSED');
});

test('s13_receiver_gone: freeing the receiver closes; senders get CLOSED', async () => {
  const [tx, rx] = channel(4);
  tx.trySend(new Uint8Array(1000));
  tx.trySend('queued');
  rx.free(); // queued messages are released with it
  assert.equal(tx.isClosed(), true);
  assert.equal(codeOf(() => tx.trySend('x')), 'CLOSED');
  const r = await run('sendOne', { token: tx.token(), msg: 'x' });
  assert.equal(r.outcome, 'CLOSED');
  tx.free();
});

test('s13_receiver_gone: a receiver freed in a worker wakes a sender blocked in another', async () => {
  const [tx, rx] = channel(1);
  tx.trySend('full');
  const started = new SharedArrayBuffer(4);
  const sender = spawn('sendOne', { token: tx.token(), msg: 'blocked', started });
  assert.ok(await until(() => Atomics.load(new Int32Array(started), 0) === 1), 'worker started');
  await sleep(100);
  const r = await run('recvOne', { token: rx.token() }); // takes 'full', frees the receiver
  assert.equal(r.msg, 'full');
  const s = await sender.done;
  // Either the blocked send got the freed slot before the receiver went (then it was
  // released with the receiver), or it woke with CLOSED.
  assert.ok(['ok', 'CLOSED'].includes(s.outcome));
  assert.equal(codeOf(() => tx.trySend('after')), 'CLOSED');
  tx.free();
});

test('s14_tokens: one-shot, kind-checked, and a moved receiver is unusable here', async () => {
  const [tx, rx] = channel(2);
  const before = pendingTokens();
  const st = tx.token();
  assert.match(st, /^fq1\.s\.[0-9a-f]{8}\.\d+\.[0-9a-f]{8}$/);
  assert.equal(pendingTokens(), before + 1);
  assert.equal(await run('redeem', { token: st, kind: 'receiver' }), 'INVALID', 'wrong kind');
  assert.equal(await run('redeem', { token: st, kind: 'sender' }), 'ok');
  assert.equal(await run('redeem', { token: st, kind: 'sender' }), 'INVALID', 'stale: redeemed once');
  assert.equal(pendingTokens(), before);
  const rt = rx.token();
  assert.equal(codeOf(() => rx.tryRecv()), 'INVALID');
  assert.equal(codeOf(() => rx.token()), 'INVALID');
  assert.equal(codeOf(() => Sender.fromToken(rt)), 'INVALID');
  tx.trySend('via token');
  const r = await run('recvOne', { token: rt });
  assert.equal(r.msg, 'via token');
  tx.free();
  rx.free();
});

test('s13_receiver_gone: freeing a receiver with a pending recvAsync closes the channel', async () => {
  const [tx, rx] = channel(2);
  const p = rx.recvAsync();
  rx.free();
  await assert.rejects(p, { code: 'CLOSED' });
  assert.equal(tx.isClosed(), true);
  assert.equal(codeOf(() => tx.trySend('x')), 'CLOSED');
  tx.free();
});
