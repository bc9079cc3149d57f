package funnelq

// Tests name the scenario ids of shared/SEMANTICS.md they cover:
// S01–S14, S17 (context cancellation) and S18; S15 and S16 are in
// s15_s16_test.go.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stressPerProducer: 4 producers × 100k plain; × 50k under -race, which
// makes every cgo call and goroutine switch several times slower.
func stressPerProducer() int {
	if raceEnabled {
		return 50_000
	}
	return 100_000
}

func mustNew(t testing.TB, capacity int) (*Sender, *Receiver) {
	t.Helper()
	tx, rx, err := New(capacity)
	if err != nil {
		t.Fatalf("New(%d): %v", capacity, err)
	}
	t.Cleanup(func() {
		_ = tx.Free()
		_ = rx.Free()
	})
	return tx, rx
}

// goProducers starts n producer goroutines, p = 0..n-1, each running
// body(p, s) with its own clone s of tx, freed when body returns or the
// goroutine exits (the last Sender freed ends the stream, S12). Wait on the
// returned group for them all.
func goProducers(t testing.TB, tx *Sender, n int, body func(p int, s *Sender)) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for p := 0; p < n; p++ {
		s, err := tx.Clone()
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Free()
			body(p, s)
		}()
	}
	return &wg
}

func wantErr(t *testing.T, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("got error %v, want %v", got, want)
	}
}

// wantWoken checks that a call blocked in another goroutine returns, within
// 2 s, with the error want, sent on errc; the failure message is what.
func wantWoken(t *testing.T, errc <-chan error, want error, what string) {
	t.Helper()
	select {
	case err := <-errc:
		wantErr(t, err, want)
	case <-time.After(2 * time.Second):
		t.Fatal(what)
	}
}

func checkElapsed(t *testing.T, start time.Time, d time.Duration) {
	t.Helper()
	el := time.Since(start)
	if el < d || el > d+1500*time.Millisecond {
		t.Fatalf("elapsed %v, want in [%v, %v]", el, d, d+1500*time.Millisecond)
	}
}

// TestS01Capacity checks S01 (capacity): Cap sends fit without a receiver, the
// next TrySend is ErrFull with nothing enqueued, and Len equals Cap.
func TestS01Capacity(t *testing.T) {
	tx, rx := mustNew(t, 4)
	if tx.Cap() != 4 || rx.Cap() != 4 {
		t.Fatalf("Cap = %d/%d", tx.Cap(), rx.Cap())
	}
	for i := 0; i < 4; i++ {
		if err := tx.TrySend([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, tx.TrySend([]byte{9}), ErrFull)
	if tx.Len() != 4 || rx.Len() != 4 {
		t.Fatalf("Len = %d", tx.Len())
	}
	for i := 0; i < 4; i++ {
		b, err := rx.TryRecv()
		if err != nil || !bytes.Equal(b, []byte{byte(i)}) {
			t.Fatalf("TryRecv = %v, %v", b, err)
		}
	}
	_, err := rx.TryRecv()
	wantErr(t, err, ErrEmpty)
}

// TestS02Backpressure checks S02 (backpressure): Send waits on a full channel,
// and each Recv lets exactly one waiting sender through.
func TestS02Backpressure(t *testing.T) {
	tx, rx := mustNew(t, 2)
	for i := 0; i < 2; i++ {
		if err := tx.Send([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	var done atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := tx.Send([]byte("w")); err != nil {
				t.Error(err)
			}
			done.Add(1)
		}()
	}
	time.Sleep(150 * time.Millisecond)
	if done.Load() != 0 {
		t.Fatalf("%d sends passed a full channel", done.Load())
	}
	for freed := int32(1); freed <= 3; freed++ {
		if _, err := rx.Recv(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for done.Load() < freed && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		if got := done.Load(); got != freed {
			t.Fatalf("after %d receives %d senders proceeded", freed, got)
		}
	}
	wg.Wait()
}

// TestS03S04FifoStress checks S03 (FIFO per producer) and S04 (exactly once):
// 4 producers, per-producer sequence checks; also S12 (the producers' Free ends
// the stream) and S15 (Len <= Cap).
func TestS03S04FifoStress(t *testing.T) {
	const producers = 4
	per := stressPerProducer()
	tx, rx := mustNew(t, 256)
	wg := goProducers(t, tx, producers, func(id int, s *Sender) {
		var buf [8]byte
		for seq := 0; seq < per; seq++ {
			binary.LittleEndian.PutUint64(buf[:], uint64(id)<<32|uint64(seq))
			if err := s.Send(buf[:]); err != nil {
				t.Errorf("producer %d: %v", id, err)
				return
			}
		}
	})
	if err := tx.Free(); err != nil {
		t.Fatal(err)
	}
	next := make([]int, producers)
	total := 0
	check := func(b []byte) {
		if len(b) != 8 {
			t.Fatalf("message of %d bytes", len(b))
		}
		w := binary.LittleEndian.Uint64(b)
		id, seq := int(w>>32), int(uint32(w))
		if id >= producers || seq != next[id] {
			t.Fatalf("producer %d: got seq %d, want %d", id, seq, next[id])
		}
		next[id]++
		total++
		if total%1024 == 0 && rx.Len() > rx.Cap() {
			t.Fatalf("Len %d > Cap %d", rx.Len(), rx.Cap())
		}
	}
	for {
		if (total/1000)%2 == 1 {
			batch, err := rx.RecvBatch(64)
			if errors.Is(err, ErrClosed) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range batch {
				check(b)
			}
		} else {
			b, err := rx.Recv()
			if errors.Is(err, ErrClosed) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			check(b)
		}
	}
	wg.Wait()
	if total != producers*per {
		t.Fatalf("received %d, want %d", total, producers*per)
	}
}

// TestS05CloseDrains checks S05 (close drains): after Close (twice: idempotent)
// the queued messages arrive in order, then ErrClosed, and it stays so.
func TestS05CloseDrains(t *testing.T) {
	tx, rx := mustNew(t, 8)
	for _, w := range []string{"one", "two", "three"} {
		if err := tx.Send([]byte(w)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	for _, w := range []string{"one", "two", "three"} {
		b, err := rx.Recv()
		if err != nil || string(b) != w {
			t.Fatalf("Recv = %q, %v; want %q", b, err, w)
		}
	}
	for i := 0; i < 2; i++ {
		_, err := rx.Recv()
		wantErr(t, err, ErrClosed)
	}
	_, err := rx.RecvBatch(4)
	wantErr(t, err, ErrClosed)
}

// TestS06CloseRejects checks S06 (close rejects): after Close every send form
// returns ErrClosed though there is room, and nothing is enqueued.
func TestS06CloseRejects(t *testing.T) {
	tx, rx := mustNew(t, 8)
	if err := rx.Close(); err != nil {
		t.Fatal(err)
	}
	if !tx.IsClosed() || !rx.IsClosed() {
		t.Fatal("IsClosed = false after Close")
	}
	wantErr(t, tx.Send([]byte("a")), ErrClosed)
	wantErr(t, tx.TrySend([]byte("a")), ErrClosed)
	wantErr(t, tx.SendTimeout([]byte("a"), time.Second), ErrClosed)
	wantErr(t, tx.SendContext(context.Background(), []byte("a")), ErrClosed)
	n, err := tx.SendBatch([][]byte{[]byte("a"), []byte("b")})
	wantErr(t, err, ErrClosed)
	if n != 0 || tx.Len() != 0 {
		t.Fatalf("sent %d, len %d", n, tx.Len())
	}
}

// TestS07CloseWakes checks S07 (close wakes): a Recv blocked on an empty channel
// and Sends blocked on a full one all return ErrClosed when it closes.
func TestS07CloseWakes(t *testing.T) {
	tx, rx := mustNew(t, 1)
	errc := make(chan error, 1)
	go func() {
		_, err := rx.Recv()
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	_, err := rx.TryRecv() // the single-consumer rule
	wantErr(t, err, ErrBusy)
	tx.Close()
	wantWoken(t, errc, ErrClosed, "blocked Recv not woken by Close")

	tx2, rx2 := mustNew(t, 1)
	if err := tx2.Send([]byte("first")); err != nil {
		t.Fatal(err)
	}
	sendErrs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() { sendErrs <- tx2.Send([]byte("blocked")) }()
	}
	time.Sleep(100 * time.Millisecond)
	rx2.Close()
	for i := 0; i < 2; i++ {
		wantWoken(t, sendErrs, ErrClosed, "blocked Send not woken by Close")
	}
	if b, err := rx2.Recv(); err != nil || string(b) != "first" {
		t.Fatalf("drain: %q, %v", b, err)
	}
}

// TestS08CloseRace checks S08 (close race): senders race Close from either end;
// every Send that returned nil is received, and nothing else is.
func TestS08CloseRace(t *testing.T) {
	rounds := 100
	if raceEnabled {
		rounds = 20
	}
	for round := 0; round < rounds; round++ {
		tx, rx, err := New(1024)
		if err != nil {
			t.Fatal(err)
		}
		var oks [2]int
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for {
					err := tx.Send([]byte{1, 2, 3})
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					oks[i]++
				}
			}(i)
		}
		time.Sleep(time.Duration(round%5) * 100 * time.Microsecond)
		if round%2 == 0 {
			tx.Close()
		} else {
			rx.Close()
		}
		wg.Wait()
		got := 0
		for {
			_, err := rx.Recv()
			if errors.Is(err, ErrClosed) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got++
		}
		if got != oks[0]+oks[1] {
			t.Fatalf("round %d: received %d, sends ok %d", round, got, oks[0]+oks[1])
		}
		tx.Free()
		rx.Free()
	}
}

// TestS09Empty checks S09 (empty): TryRecv is ErrEmpty, and RecvTimeout and
// RecvBatchTimeout return ErrTimeout no earlier than asked and not much later.
func TestS09Empty(t *testing.T) {
	_, rx := mustNew(t, 2)
	_, err := rx.TryRecv()
	wantErr(t, err, ErrEmpty)
	start := time.Now()
	_, err = rx.RecvTimeout(150 * time.Millisecond)
	wantErr(t, err, ErrTimeout)
	checkElapsed(t, start, 150*time.Millisecond)
	start = time.Now()
	_, err = rx.RecvBatchTimeout(8, 100*time.Millisecond)
	wantErr(t, err, ErrTimeout)
	checkElapsed(t, start, 100*time.Millisecond)
}

// TestS10Timeouts checks S10 (timeouts): SendTimeout and SendContext on a full
// channel return ErrTimeout within both bounds and enqueue nothing.
func TestS10Timeouts(t *testing.T) {
	tx, rx := mustNew(t, 1)
	if err := tx.Send([]byte("a")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	wantErr(t, tx.SendTimeout([]byte("b"), 150*time.Millisecond), ErrTimeout)
	checkElapsed(t, start, 150*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	err := tx.SendContext(ctx, []byte("c"))
	wantErr(t, err, ErrTimeout)
	wantErr(t, err, context.DeadlineExceeded)
	checkElapsed(t, start, 100*time.Millisecond)
	if rx.Len() != 1 {
		t.Fatalf("Len = %d, want 1 (nothing enqueued)", rx.Len())
	}
}

// TestS11NoLostWakeup checks S11 (no lost wake-up): 4 producers through
// capacity 1, where a lost wake-up shows as a RecvTimeout; every message arrives.
func TestS11NoLostWakeup(t *testing.T) {
	const producers = 4
	per := 20_000
	if raceEnabled {
		per = 5_000
	}
	tx, rx := mustNew(t, 1)
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if err := tx.Send([]byte{byte(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		tx.Close()
	}()
	got := 0
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := rx.RecvTimeout(5 * time.Second) // a lost wake-up shows as a timeout
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			t.Fatalf("after %d messages: %v", got, err)
		}
		got++
		if time.Now().After(deadline) {
			t.Fatal("too slow")
		}
	}
	if got != producers*per {
		t.Fatalf("received %d, want %d", got, producers*per)
	}
}

// TestS12SendersGone checks S12 (senders gone): once the last Sender is freed,
// the receiver drains what was queued and then sees ErrClosed.
func TestS12SendersGone(t *testing.T) {
	tx, rx := mustNew(t, 8)
	tx2, err := tx.Clone()
	if err != nil {
		t.Fatal(err)
	}
	tx.Send([]byte("a"))
	tx2.Send([]byte("b"))
	tx.Free()
	if rx.IsClosed() {
		t.Fatal("closed with a sender left")
	}
	tx2.Free()
	for _, w := range []string{"a", "b"} {
		b, err := rx.Recv()
		if err != nil || string(b) != w {
			t.Fatalf("Recv = %q, %v", b, err)
		}
	}
	_, err = rx.Recv()
	wantErr(t, err, ErrClosed)
}

// TestS13ReceiverGone checks S13 (receiver gone): freeing the Receiver wakes a
// blocked Send with ErrClosed, and later sends are refused.
func TestS13ReceiverGone(t *testing.T) {
	tx, rx := mustNew(t, 4)
	tx.Send([]byte("queued"))
	tx.Send([]byte("queued too"))
	blocked := make(chan error, 1)
	tx.Send([]byte("x"))
	tx.Send([]byte("y"))
	go func() { blocked <- tx.Send([]byte("blocked")) }()
	time.Sleep(50 * time.Millisecond)
	if err := rx.Free(); err != nil {
		t.Fatal(err)
	}
	wantWoken(t, blocked, ErrClosed, "blocked Send not woken by Receiver.Free")
	wantErr(t, tx.Send([]byte("late")), ErrClosed)
	if !tx.IsClosed() {
		t.Fatal("not closed")
	}
	_, err := rx.Recv()
	wantErr(t, err, ErrInvalid) // freed
}

// TestS14BadInput checks S14 (bad input): out-of-range capacities, nil and freed
// handles and a zero batch size are ErrInvalid with a clear message, never a crash.
func TestS14BadInput(t *testing.T) {
	for _, c := range []int{0, -1, MaxCapacity + 1} {
		_, _, err := New(c)
		wantErr(t, err, ErrInvalid)
		if c == 0 && err.Error() != fmt.Sprintf("funnelq: invalid argument: capacity 0 is out of range 1..=%d", MaxCapacity) {
			t.Fatalf("message %q", err)
		}
	}
	var nilS *Sender
	var nilR *Receiver
	wantErr(t, nilS.Send(nil), ErrInvalid)
	_, err := nilR.Recv()
	wantErr(t, err, ErrInvalid)
	tx, rx := mustNew(t, 2)
	_, err = rx.RecvBatch(0)
	wantErr(t, err, ErrInvalid)
	tx.Free()
	tx.Free() // no-op
	wantErr(t, tx.Send([]byte("a")), ErrInvalid)
	wantErr(t, tx.TrySend([]byte("a")), ErrInvalid)
	_, err = tx.Clone()
	wantErr(t, err, ErrInvalid)
	// empty messages are messages
	tx2, rx2 := mustNew(t, 2)
	if err := tx2.Send(nil); err != nil {
		t.Fatal(err)
	}
	b, err := rx2.Recv()
	if err != nil || b == nil || len(b) != 0 {
		t.Fatalf("Recv = %v, %v", b, err)
	}
	_ = rx
}

// TestS17ContextCancel checks S17 (interrupt): a blocked RecvContext returns promptly when its
// context is cancelled, and no message is lost.
func TestS17ContextCancel(t *testing.T) {
	tx, rx := mustNew(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := rx.RecvContext(ctx)
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-errc:
		wantErr(t, err, context.Canceled)
		wantErr(t, err, ErrTimeout)
		if el := time.Since(start); el > 500*time.Millisecond {
			t.Fatalf("cancellation took %v", el)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("RecvContext not cancelled")
	}
	tx.Send([]byte("kept"))
	b, err := rx.RecvContext(context.Background())
	if err != nil || string(b) != "kept" {
		t.Fatalf("Recv after cancel = %q, %v", b, err)
	}
	// a blocked SendContext too
	tx.Send([]byte("1"))
	tx.Send([]byte("2"))
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel2()
	}()
	err = tx.SendContext(ctx2, []byte("3"))
	wantErr(t, err, context.Canceled)
	if rx.Len() != 2 {
		t.Fatalf("Len = %d", rx.Len())
	}
}

// TestS18Batch checks S18 (batch): SendBatch enqueues in order and reports how
// many went in; RecvBatch returns 1..=max messages in FIFO order; the Into forms
// reuse the caller's buffers; a batch larger than the capacity waits for room.
func TestS18Batch(t *testing.T) {
	tx, rx := mustNew(t, 4)
	msgs := [][]byte{[]byte("aaa"), {}, []byte("bb"), []byte("c")}
	n, err := tx.SendBatch(msgs)
	if err != nil || n != 4 {
		t.Fatalf("SendBatch = %d, %v", n, err)
	}
	got, err := rx.RecvBatch(3)
	if err != nil || len(got) != 3 {
		t.Fatalf("RecvBatch = %d, %v", len(got), err)
	}
	for i := range got {
		if !bytes.Equal(got[i], msgs[i]) {
			t.Fatalf("message %d = %q, want %q", i, got[i], msgs[i])
		}
	}
	grown := append(got[0], 'X') // capped sub-slices: appending must not clobber
	if string(grown) != "aaaX" || len(got[1]) != 0 || string(got[2]) != "bb" {
		t.Fatalf("append clobbered a neighbour: %q", got)
	}
	rest, err := rx.RecvBatch(10)
	if err != nil || len(rest) != 1 || string(rest[0]) != "c" {
		t.Fatalf("RecvBatch = %q, %v", rest, err)
	}
	// the allocation-free forms reuse the caller's buffers
	if _, err := tx.SendBatch([][]byte{[]byte("p"), []byte("qq"), []byte("rrr")}); err != nil {
		t.Fatal(err)
	}
	dst := [][]byte{make([]byte, 0, 8), make([]byte, 0, 8)}
	n, err = rx.RecvBatchInto(dst)
	if err != nil || n != 2 || string(dst[0]) != "p" || string(dst[1]) != "qq" {
		t.Fatalf("RecvBatchInto = %d, %q, %v", n, dst, err)
	}
	buf := make([]byte, 0, 8)
	one, err := rx.RecvInto(buf)
	if err != nil || string(one) != "rrr" || &one[0] != &buf[:1][0] {
		t.Fatalf("RecvInto = %q, %v (or it did not reuse buf)", one, err)
	}
	// a batch larger than the capacity waits for room
	done := make(chan struct{})
	go func() {
		defer close(done)
		big := make([][]byte, 10)
		for i := range big {
			big[i] = []byte{byte(i)}
		}
		if n, err := tx.SendBatch(big); err != nil || n != 10 {
			t.Errorf("SendBatch = %d, %v", n, err)
		}
	}()
	for want := 0; want < 10; {
		b, err := rx.RecvBatch(3)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range b {
			if int(m[0]) != want {
				t.Fatalf("got %d want %d", m[0], want)
			}
			want++
		}
	}
	<-done
}

// TestFinalizers: forgotten handles are freed by the garbage collector.
func TestFinalizers(t *testing.T) {
	for i := 0; i < 100; i++ {
		tx, _, err := New(16)
		if err != nil {
			t.Fatal(err)
		}
		tx.Send([]byte("dropped"))
	}
	runtime.GC()
	runtime.GC()
}
