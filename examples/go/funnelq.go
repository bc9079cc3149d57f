// Package funnelq is a Go binding of the funnelq C library: a bounded
// multi-producer, single-consumer channel of []byte messages, with
// backpressure, close/drain semantics, timeouts, context cancellation and
// batch operations.
//
// Messages are copied across the cgo boundary (Go memory is never retained by
// C): Send copies the bytes into memory owned by the library, Recv copies them
// back into a new Go slice and releases the library's copy.
//
// Build: the package links the installed C library through pkg-config
// (`#cgo pkg-config: funnelq`); see README.md.
//
// Lifetime: Senders and the Receiver own C handles. Call Free when done (a
// finalizer frees a forgotten handle, but only when the garbage collector
// gets to it). Freeing the last Sender ends the stream after the Receiver
// drains it; freeing the Receiver closes the channel for the Senders.
package funnelq

/*
#cgo pkg-config: funnelq
#cgo noescape funnelq_send_copy
#cgo noescape funnelq_try_send_copy
#cgo noescape funnelq_send_copy_timeout
#cgo noescape funnelq_send_copy_batch
#cgo noescape funnelq_msg_free_n
#cgo noescape funnelq_len
#cgo noescape funnelq_capacity
#cgo noescape funnelq_is_closed
#cgo nocallback funnelq_send_copy
#cgo nocallback funnelq_try_send_copy
#cgo nocallback funnelq_send_copy_timeout
#cgo nocallback funnelq_send_copy_batch
#cgo nocallback funnelq_msg_free_n
#cgo noescape fq_recv
#cgo nocallback fq_recv
#include <stdlib.h>
#include <funnelq.h>

// fq_recv releases the previous receive's messages (prev[0..nprev]) and
// receives up to max messages into out, in one cgo call. mode: 0 wait,
// 1 try, 2 wait at most ns; batch: 0 single receive (max must be 1).
static enum funnelq_status fq_recv(const funnelq_receiver *rx, funnelq_msg *prev, size_t nprev,
                              funnelq_msg *out, size_t max, size_t *count, int mode,
                              int batch, uint64_t ns) {
    funnelq_msg_free_n(prev, nprev);
    *count = 0;
    enum funnelq_status st;
    if (!batch) {
        switch (mode) {
        case 0: st = funnelq_recv(rx, out); break;
        case 1: st = funnelq_try_recv(rx, out); break;
        default: st = funnelq_recv_timeout(rx, out, ns); break;
        }
        if (st == FUNNELQ_OK) *count = 1;
        return st;
    }
    switch (mode) {
    case 0: return funnelq_recv_batch(rx, out, max, count);
    case 1: return funnelq_try_recv_batch(rx, out, max, count);
    default: return funnelq_recv_batch_timeout(rx, out, max, count, ns);
    }
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Errors returned by the channel operations; test them with errors.Is.
var (
	// ErrFull: a non-waiting send found the channel full; nothing was sent.
	ErrFull = errors.New("funnelq: channel is full")
	// ErrEmpty: a non-waiting receive found the channel empty and open.
	ErrEmpty = errors.New("funnelq: channel is empty")
	// ErrClosed: sending on a closed channel (nothing sent), or receiving
	// at end-of-stream (closed and drained).
	ErrClosed = errors.New("funnelq: channel is closed")
	// ErrTimeout: a timed or context-bounded operation ran out of time;
	// nothing was sent or received. Context cancellation returns an error
	// that matches both ErrTimeout and the context's error (ctx.Err()).
	ErrTimeout = errors.New("funnelq: operation timed out")
	// ErrInvalid: a bad argument (capacity out of range, a batch size
	// outside 1..MaxBatch, a freed handle). The returned error wraps it with
	// a message that names the value and the bound.
	ErrInvalid = errors.New("funnelq: invalid argument")
	// ErrNoMemory: memory for the channel's ring (allocated up front by New:
	// about 32 bytes per slot) or for a message could not be allocated.
	// Nothing was created or sent.
	ErrNoMemory = errors.New("funnelq: out of memory")
	// ErrBusy: a receive while another receive on the same Receiver runs.
	ErrBusy = errors.New("funnelq: another receive is running on this receiver")
	// errInternal: a bug inside the C library (a caught panic).
	errInternal = errors.New("funnelq: internal error")
)

// MaxCapacity is the largest capacity New accepts.
var MaxCapacity = int(C.funnelq_max_capacity())

// MaxBatch is the most messages one batch call takes: len(msgs) of
// SendBatch, max of RecvBatch, TryRecvBatch and RecvBatchTimeout, len(dst)
// of RecvBatchInto (the C library's FUNNELQ_MAX_BATCH, 2^20). A larger batch
// gets ErrInvalid before anything is allocated or sent.
const MaxBatch = int(C.FUNNELQ_MAX_BATCH)

// pollSlice bounds how long a context-aware call waits inside C before it
// checks its context again: the cancellation latency.
const pollSlice = 10 * time.Millisecond

// statusErr is the one mapping from C status codes to Go errors.
func statusErr(st C.enum_funnelq_status) error {
	switch st {
	case C.FUNNELQ_OK:
		return nil
	case C.FUNNELQ_FULL:
		return ErrFull
	case C.FUNNELQ_EMPTY:
		return ErrEmpty
	case C.FUNNELQ_CLOSED:
		return ErrClosed
	case C.FUNNELQ_TIMEOUT:
		return ErrTimeout
	case C.FUNNELQ_INVALID:
		return ErrInvalid
	case C.FUNNELQ_BUSY:
		return ErrBusy
	case C.FUNNELQ_NOMEM:
		return ErrNoMemory
	default:
		return fmt.Errorf("%w: %s", errInternal, C.GoString(C.funnelq_status_str(C.int(st))))
	}
}

// ctxErr is returned when a context ends a wait: it matches ErrTimeout and
// the context's own error.
type ctxErr struct{ cause error }

func (e ctxErr) Error() string        { return "funnelq: " + e.cause.Error() }
func (e ctxErr) Is(target error) bool { return target == ErrTimeout }
func (e ctxErr) Unwrap() error        { return e.cause }

func nanos(d time.Duration) C.uint64_t {
	if d < 0 {
		return 0
	}
	return C.uint64_t(d)
}

// bytesPtr returns a pointer to b's data for the duration of a C call
// (nil for an empty slice).
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}

// errBatch is the ErrInvalid of a batch size outside 1..MaxBatch.
func errBatch(n int) error {
	return fmt.Errorf("%w: batch size %d is out of range 1..=%d", ErrInvalid, n, MaxBatch)
}

// New creates a channel holding up to capacity messages (1..MaxCapacity)
// and returns its first Sender and its Receiver. The ring is allocated up
// front: a capacity the memory cannot hold gets ErrNoMemory.
func New(capacity int) (*Sender, *Receiver, error) {
	if capacity < 1 || capacity > MaxCapacity {
		return nil, nil, fmt.Errorf("%w: capacity %d is out of range 1..=%d", ErrInvalid, capacity, MaxCapacity)
	}
	var tx *C.funnelq_sender
	var rx *C.funnelq_receiver
	if err := statusErr(C.funnelq_channel_new(C.size_t(capacity), &tx, &rx)); err != nil {
		if errors.Is(err, ErrNoMemory) {
			return nil, nil, fmt.Errorf("%w: a ring of capacity %d", err, capacity)
		}
		return nil, nil, err
	}
	return newSender(tx), newReceiver(rx, capacity), nil
}

// Sender is one producer handle. It is safe for concurrent use by many
// goroutines; Clone gives a handle of its own to each producer that must be
// able to Free independently.
type Sender struct {
	// The C handle; nil once freed. The C library makes a handle safe to
	// free while calls on it run (they finish; later ones get
	// FUNNELQ_INVALID), so calls only load it: no lock on the send path.
	h unsafe.Pointer // *C.funnelq_sender; accessed atomically
}

func newSender(h *C.funnelq_sender) *Sender {
	s := &Sender{h: unsafe.Pointer(h)}
	runtime.SetFinalizer(s, func(s *Sender) {
		if h := s.take(); h != nil {
			C.funnelq_sender_free(h)
		}
	})
	return s
}

// take clears s's handle and returns it (nil if it was already freed).
func (s *Sender) take() *C.funnelq_sender {
	return (*C.funnelq_sender)(atomic.SwapPointer(&s.h, nil))
}

// handle returns s's C handle, or nil if s is nil or freed. Callers keep s
// alive (runtime.KeepAlive) until their C call returns, so that the
// finalizer cannot free the handle under them.
func (s *Sender) handle() *C.funnelq_sender {
	if s == nil {
		return nil
	}
	return (*C.funnelq_sender)(atomic.LoadPointer(&s.h))
}

// Clone returns a new Sender for the same channel. The stream ends only when
// every Sender has been freed (or the channel is closed).
func (s *Sender) Clone() (*Sender, error) {
	h := s.handle()
	if h == nil {
		return nil, ErrInvalid
	}
	var out *C.funnelq_sender
	err := statusErr(C.funnelq_sender_clone(h, &out))
	runtime.KeepAlive(s)
	if err != nil {
		return nil, err
	}
	return newSender(out), nil
}

// Free releases this Sender; freeing the last one ends the stream (the
// Receiver drains what is queued, then gets ErrClosed). Free does not wait:
// a call still running on s (a Send waiting for room, say) finishes
// normally, and s stops counting as a sender when it returns. Using s
// afterwards returns ErrInvalid; a second Free is a no-op.
func (s *Sender) Free() error {
	if s == nil {
		return ErrInvalid
	}
	h := s.take()
	if h == nil {
		return nil
	}
	runtime.SetFinalizer(s, nil)
	return statusErr(C.funnelq_sender_free(h))
}

// Send copies msg into the channel, waiting while it is full. Returns
// ErrClosed if the channel is closed (nothing sent).
func (s *Sender) Send(msg []byte) error {
	h := s.handle()
	if h == nil {
		return ErrInvalid
	}
	st := C.funnelq_send_copy(h, bytesPtr(msg), C.size_t(len(msg)))
	runtime.KeepAlive(s)
	return statusErr(st)
}

// TrySend copies msg into the channel if there is room now: ErrFull if not.
func (s *Sender) TrySend(msg []byte) error {
	h := s.handle()
	if h == nil {
		return ErrInvalid
	}
	st := C.funnelq_try_send_copy(h, bytesPtr(msg), C.size_t(len(msg)))
	runtime.KeepAlive(s)
	return statusErr(st)
}

// SendTimeout is Send waiting at most d: ErrTimeout then (nothing sent).
func (s *Sender) SendTimeout(msg []byte, d time.Duration) error {
	h := s.handle()
	if h == nil {
		return ErrInvalid
	}
	st := C.funnelq_send_copy_timeout(h, bytesPtr(msg), C.size_t(len(msg)), nanos(d))
	runtime.KeepAlive(s)
	return statusErr(st)
}

// SendContext is Send that gives up when ctx is done, returning an error
// that matches ErrTimeout and ctx.Err() (nothing sent). Cancellation is
// noticed within about 10 ms.
func (s *Sender) SendContext(ctx context.Context, msg []byte) error {
	if ctx.Done() == nil {
		return s.Send(msg)
	}
	for {
		if err := ctx.Err(); err != nil {
			return ctxErr{err}
		}
		slice := pollSlice
		if dl, ok := ctx.Deadline(); ok {
			if rem := time.Until(dl); rem < slice {
				slice = max(rem, 0)
			}
		}
		err := s.SendTimeout(msg, slice)
		if !errors.Is(err, ErrTimeout) {
			return err
		}
	}
}

// SendBatch copies and sends all msgs in order, waiting for room as needed,
// with one C call. It returns how many were sent: len(msgs) with a nil
// error, or fewer with ErrClosed. More than MaxBatch messages get ErrInvalid
// (nothing sent).
func (s *Sender) SendBatch(msgs [][]byte) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	if len(msgs) > MaxBatch {
		return 0, errBatch(len(msgs))
	}
	h := s.handle()
	if h == nil {
		return 0, ErrInvalid
	}
	defer runtime.KeepAlive(s)
	sc := batchPool.Get().(*batchScratch)
	defer sc.put()
	data, lens := sc.data[:0], sc.lens[:0]
	for _, m := range msgs {
		data = append(data, m...)
		lens = append(lens, C.size_t(len(m)))
	}
	sc.data, sc.lens = data, lens
	var sent C.size_t
	st := C.funnelq_send_copy_batch(h, bytesPtr(data), &lens[0], C.size_t(len(msgs)), &sent)
	return int(sent), statusErr(st)
}

// batchScratch is SendBatch's flattening buffer, reused through a pool.
type batchScratch struct {
	data []byte
	lens []C.size_t
}

var batchPool = sync.Pool{New: func() any { return new(batchScratch) }}

// maxPooledBatchBytes bounds what the pool keeps after a large batch.
const maxPooledBatchBytes = 1 << 20

func (sc *batchScratch) put() {
	if cap(sc.data) > maxPooledBatchBytes {
		sc.data = nil
	}
	batchPool.Put(sc)
}

// Close closes the channel (idempotent): sends fail with ErrClosed, the
// Receiver drains what is queued and then gets ErrClosed.
func (s *Sender) Close() error {
	return senderQuery(s, closeChan)
}

// Len is a snapshot of the number of queued messages (0 if s is freed).
func (s *Sender) Len() int {
	return senderQuery(s, chanLen)
}

// Cap is the channel's capacity (0 if s is freed).
func (s *Sender) Cap() int {
	return senderQuery(s, chanCap)
}

// IsClosed reports whether the channel is closed (true if s is freed).
func (s *Sender) IsClosed() bool {
	return senderQuery(s, chanIsClosed)
}

// senderQuery runs query on s's handle (nil if s is freed).
func senderQuery[R any](s *Sender, query func(h unsafe.Pointer) R) R {
	defer runtime.KeepAlive(s)
	return query(unsafe.Pointer(s.handle()))
}

// receiverQuery runs query on r's handle (nil if r is freed), read-locked
// so that Free waits for it.
func receiverQuery[R any](r *Receiver, query func(h unsafe.Pointer) R) R {
	h := r.acquire()
	if h == nil {
		return query(nil)
	}
	defer r.mu.RUnlock()
	return query(unsafe.Pointer(h))
}

// The channel queries both handles answer, on a C handle of either kind;
// nil (a freed handle) answers ErrInvalid, 0, 0 and closed.

func closeChan(h unsafe.Pointer) error {
	if h == nil {
		return ErrInvalid
	}
	return statusErr(C.funnelq_close(h))
}

func chanLen(h unsafe.Pointer) int {
	var n C.size_t
	if h != nil {
		C.funnelq_len(h, &n)
	}
	return int(n)
}

func chanCap(h unsafe.Pointer) int {
	var n C.size_t
	if h != nil {
		C.funnelq_capacity(h, &n)
	}
	return int(n)
}

func chanIsClosed(h unsafe.Pointer) bool {
	if h == nil {
		return true
	}
	var b C.bool
	C.funnelq_is_closed(h, &b)
	return bool(b)
}

// Receiver is the single consumer handle. Receives may come from any
// goroutine but one at a time: a receive that overlaps another returns
// ErrBusy. Close, Len, Cap and IsClosed may be called at any time.
type Receiver struct {
	mu  sync.RWMutex        // read-held by Close/Len/Cap/IsClosed, write-held by Free
	rmu sync.Mutex          // held by the one running receive (TryLock: ErrBusy) and by Free
	h   *C.funnelq_receiver // changed only with both mu and rmu held
	cap int                 // the channel's capacity (fixed)
	// The last receive's C messages, released by the next receive's cgo
	// call (one call per receive instead of two). The array is C memory
	// (so cgo's pointer checks need not scan it). Guarded by rmu. It holds
	// at most min(MaxBatch, capacity) messages: a batch receive asks C for
	// no more than that (it may return fewer than max, S18).
	pend  []C.funnelq_msg
	npend int
}

// allocMsgs returns a zeroed C array of n messages as a Go slice view, or
// nil if C cannot allocate it.
func allocMsgs(n int) []C.funnelq_msg {
	p := C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.funnelq_msg{})))
	if p == nil {
		return nil
	}
	return unsafe.Slice((*C.funnelq_msg)(p), n)
}

func newReceiver(h *C.funnelq_receiver, capacity int) *Receiver {
	r := &Receiver{h: h, cap: capacity, pend: allocMsgs(1)}
	if r.pend == nil {
		panic("funnelq: out of memory for one message") // 32 bytes
	}
	runtime.SetFinalizer(r, func(r *Receiver) { r.release() })
	return r
}

// release frees the pending messages, their array and the handle.
func (r *Receiver) release() error {
	if r.h == nil {
		return nil
	}
	C.funnelq_msg_free_n(&r.pend[0], C.size_t(r.npend))
	C.free(unsafe.Pointer(&r.pend[0]))
	r.pend, r.npend = nil, 0
	err := statusErr(C.funnelq_receiver_free(r.h))
	r.h = nil
	return err
}

func (r *Receiver) acquire() *C.funnelq_receiver {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	if r.h == nil {
		r.mu.RUnlock()
		return nil
	}
	return r.h
}

// Free releases the Receiver: the channel closes, Senders get ErrClosed and
// queued messages are released. A receive blocked on r is woken (ErrClosed)
// first. A second Free is a no-op.
func (r *Receiver) Free() error {
	if r == nil {
		return ErrInvalid
	}
	if h := r.acquire(); h != nil {
		C.funnelq_close(unsafe.Pointer(h)) // wake a blocked receive
		r.mu.RUnlock()
	}
	r.rmu.Lock()
	defer r.rmu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.release()
	runtime.SetFinalizer(r, nil)
	return err
}

// recvReq describes one receive: a single message or a batch, how to wait,
// and where the bytes go (new slices, or reused buffers for the *Into forms).
type recvReq struct {
	batch bool
	max   int
	mode  int // 0 wait, 1 try, 2 wait at most d
	d     time.Duration
	into  [][]byte // batch: copy into these (RecvBatchInto)
	one   []byte   // single: append to one[:0] (RecvInto)
	reuse bool     // single: use one
}

type recvRes struct {
	msgs [][]byte
	one  []byte
	n    int
}

// receive runs one receive with a single cgo call, which also releases the
// previous receive's C messages.
func (r *Receiver) receive(q recvReq) (recvRes, error) {
	if r == nil {
		return recvRes{}, ErrInvalid
	}
	// rmu alone guards h here: Free holds both rmu and mu to change it.
	if !r.rmu.TryLock() {
		return recvRes{}, ErrBusy
	}
	defer r.rmu.Unlock()
	h := r.h
	if h == nil {
		return recvRes{}, ErrInvalid
	}
	// Never ask for more than the channel holds: the scratch stays
	// bounded by the capacity whatever max the caller passes.
	q.max = min(q.max, r.cap)
	prev, out := &r.pend[0], &r.pend[0]
	if q.max > len(r.pend) {
		// Grow the scratch; the old messages are released by this same
		// call, then the old array.
		grown := allocMsgs(q.max)
		if grown == nil {
			return recvRes{}, fmt.Errorf("%w: scratch for a batch of %d messages", ErrNoMemory, q.max)
		}
		old := r.pend
		r.pend = grown
		out = &r.pend[0]
		defer C.free(unsafe.Pointer(&old[0]))
	}
	var n C.size_t
	b := C.int(0)
	if q.batch {
		b = 1
	}
	st := C.fq_recv(h, prev, C.size_t(r.npend), out, C.size_t(q.max), &n, C.int(q.mode), b, nanos(q.d))
	r.npend = int(n)
	if st != C.FUNNELQ_OK {
		return recvRes{}, statusErr(st)
	}
	got := r.pend[:int(n)]
	if !q.batch {
		if q.reuse {
			return recvRes{one: appendMsg(q.one[:0], &got[0]), n: 1}, nil
		}
		return recvRes{one: appendMsg(make([]byte, 0, int(got[0].len)), &got[0]), n: 1}, nil
	}
	if q.into != nil {
		for i := range got {
			q.into[i] = appendMsg(q.into[i][:0], &got[i])
		}
		return recvRes{n: len(got)}, nil
	}
	total := 0
	for i := range got {
		total += int(got[i].len)
	}
	// One allocation for all payloads; each message a capped sub-slice.
	data := make([]byte, total)
	msgs := make([][]byte, len(got))
	at := 0
	for i := range got {
		l := int(got[i].len)
		if l > 0 {
			copy(data[at:at+l], unsafe.Slice((*byte)(got[i].ptr), l))
		}
		msgs[i] = data[at : at+l : at+l]
		at += l
	}
	return recvRes{msgs: msgs, n: len(got)}, nil
}

// appendMsg appends a received C message's bytes to dst.
func appendMsg(dst []byte, m *C.funnelq_msg) []byte {
	if m.len == 0 {
		return dst
	}
	return append(dst, unsafe.Slice((*byte)(m.ptr), int(m.len))...)
}

func (r *Receiver) recv(mode int, d time.Duration) ([]byte, error) {
	res, err := r.receive(recvReq{max: 1, mode: mode, d: d})
	return res.one, err
}

// Recv returns the next message, waiting while the channel is empty and
// open; ErrClosed at end-of-stream (closed and drained).
func (r *Receiver) Recv() ([]byte, error) { return r.recv(0, 0) }

// RecvInto is Recv that appends the message to buf[:0] (no allocation when
// buf has room) and returns the result.
func (r *Receiver) RecvInto(buf []byte) ([]byte, error) {
	res, err := r.receive(recvReq{max: 1, one: buf, reuse: true})
	if err != nil {
		return buf[:0], err
	}
	return res.one, nil
}

// TryRecv returns the next message if there is one: ErrEmpty if not.
func (r *Receiver) TryRecv() ([]byte, error) { return r.recv(1, 0) }

// RecvTimeout is Recv waiting at most d: ErrTimeout then.
func (r *Receiver) RecvTimeout(d time.Duration) ([]byte, error) { return r.recv(2, d) }

// RecvContext is Recv that gives up when ctx is done, returning an error
// that matches ErrTimeout and ctx.Err(); no message is lost. Cancellation
// is noticed within about 10 ms.
func (r *Receiver) RecvContext(ctx context.Context) ([]byte, error) {
	if ctx.Done() == nil {
		return r.Recv()
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, ctxErr{err}
		}
		slice := pollSlice
		if dl, ok := ctx.Deadline(); ok {
			if rem := time.Until(dl); rem < slice {
				slice = max(rem, 0)
			}
		}
		b, err := r.RecvTimeout(slice)
		if !errors.Is(err, ErrTimeout) {
			return b, err
		}
	}
}

// RecvBatch waits for at least one message and returns up to max messages
// that are ready (1 <= max <= MaxBatch; never more than the capacity), in
// order, with one cgo call; ErrClosed at end-of-stream. The messages share
// one backing array (each is a capped sub-slice).
func (r *Receiver) RecvBatch(max int) ([][]byte, error) {
	if max < 1 || max > MaxBatch {
		return nil, errBatch(max)
	}
	res, err := r.receive(recvReq{batch: true, max: max})
	return res.msgs, err
}

// RecvBatchInto is RecvBatch without allocation: it waits for the first
// message, receives up to len(dst) ready ones, and copies message i into
// dst[i] (dst[i] = append(dst[i][:0], msg...)), returning how many.
func (r *Receiver) RecvBatchInto(dst [][]byte) (int, error) {
	if len(dst) < 1 || len(dst) > MaxBatch {
		return 0, errBatch(len(dst))
	}
	res, err := r.receive(recvReq{batch: true, max: len(dst), into: dst})
	return res.n, err
}

// TryRecvBatch is RecvBatch without waiting: ErrEmpty if nothing is ready.
func (r *Receiver) TryRecvBatch(max int) ([][]byte, error) {
	if max < 1 || max > MaxBatch {
		return nil, errBatch(max)
	}
	res, err := r.receive(recvReq{batch: true, max: max, mode: 1})
	return res.msgs, err
}

// RecvBatchTimeout is RecvBatch waiting at most d for the first message.
func (r *Receiver) RecvBatchTimeout(max int, d time.Duration) ([][]byte, error) {
	if max < 1 || max > MaxBatch {
		return nil, errBatch(max)
	}
	res, err := r.receive(recvReq{batch: true, max: max, mode: 2, d: d})
	return res.msgs, err
}

// Close closes the channel (idempotent); a receive blocked in another
// goroutine wakes, returns what is queued, then ErrClosed.
func (r *Receiver) Close() error {
	return receiverQuery(r, closeChan)
}

// Len is a snapshot of the number of queued messages (0 if r is freed).
func (r *Receiver) Len() int {
	return receiverQuery(r, chanLen)
}

// Cap is the channel's capacity (0 if r is freed).
func (r *Receiver) Cap() int {
	return receiverQuery(r, chanCap)
}

// IsClosed reports whether the channel is closed (true if r is freed).
func (r *Receiver) IsClosed() bool {
	return receiverQuery(r, chanIsClosed)
}
