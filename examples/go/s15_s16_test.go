package funnelq

// S15 (bounded memory) and S16 (cancellation) of shared/SEMANTICS.md. Go's
// cancellable forms are SendContext / RecvContext: cancelling their context
// is Go's way of cancelling an awaiting send or receive.

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heapAfterGC is the live Go heap: what survives a full collection.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC() // a second cycle frees what the first one's finalizers released
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// newChan is mustNew whose channel is closed first at cleanup, so that a
// failing test wakes its blocked goroutines instead of hanging in Free.
func newChan(t *testing.T, capacity int) (*Sender, *Receiver) {
	tx, rx := mustNew(t, capacity)
	t.Cleanup(func() { _ = rx.Close() })
	return tx, rx
}

// TestS15BoundedMemory checks S15 (bounded memory): Len never passes the
// capacity while senders block, and the live Go heap does not grow with traffic.
func TestS15BoundedMemory(t *testing.T) {
	const (
		capacity = 4
		waiters  = 16
		each     = 100
		slack    = 1 << 20 // 1 MiB; retaining the 200k messages would be ~15 MiB
	)

	t.Run("length never exceeds capacity with blocked senders", func(t *testing.T) {
		tx, rx := newChan(t, capacity)
		if rx.Cap() != capacity || tx.Cap() != capacity {
			t.Fatalf("Cap = %d / %d, want %d", tx.Cap(), rx.Cap(), capacity)
		}
		var started sync.WaitGroup
		started.Add(waiters)
		var senders sync.WaitGroup
		for g := range waiters {
			senders.Add(1)
			go func() {
				defer senders.Done()
				started.Done()
				// never cancelled: only makes SendContext take its polling path
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				msg := make([]byte, 64)
				for i := range each {
					binary.LittleEndian.PutUint32(msg, uint32(g*each+i))
					var err error
					if g%2 == 0 {
						err = tx.Send(msg)
					} else {
						// the polling form must not pile up anything either
						err = tx.SendContext(ctx, msg)
					}
					if err != nil {
						if !errors.Is(err, ErrClosed) { // closed: the test already failed
							t.Errorf("Send: %v", err)
						}
						return
					}
				}
			}()
		}
		started.Wait()
		time.Sleep(100 * time.Millisecond) // every sender is now waiting on a full channel
		if n := rx.Len(); n != capacity {
			t.Fatalf("Len = %d with %d blocked senders, want %d", n, waiters, capacity)
		}
		// while they wait, the Go heap does not grow per waiting send
		h1 := heapAfterGC()
		time.Sleep(200 * time.Millisecond)
		h2 := heapAfterGC()
		t.Logf("live heap %d -> %d bytes while %d senders waited 200 ms", h1, h2, waiters)
		if h2 > h1+slack/16 {
			t.Fatalf("heap grew from %d to %d bytes while %d senders waited", h1, h2, waiters)
		}
		if n := tx.Len(); n != capacity {
			t.Fatalf("Len = %d, want %d", n, capacity)
		}
		stop := make(chan struct{})
		var maxSeen atomic.Int64
		var sampler sync.WaitGroup
		sampler.Add(1)
		go func() { // samples from the sender side while the consumer drains
			defer sampler.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if n := int64(tx.Len()); n > maxSeen.Load() {
					maxSeen.Store(n)
				}
				runtime.Gosched()
			}
		}()
		seen := make([]bool, waiters*each)
		for range waiters * each {
			if n := rx.Len(); n > capacity {
				t.Fatalf("Len = %d > capacity %d", n, capacity)
			}
			b, err := rx.RecvTimeout(5 * time.Second)
			if err != nil {
				t.Fatalf("Recv: %v", err)
			}
			id := binary.LittleEndian.Uint32(b)
			if seen[id] {
				t.Fatalf("message %d received twice", id)
			}
			seen[id] = true
		}
		close(stop)
		sampler.Wait()
		senders.Wait()
		if m := maxSeen.Load(); m > capacity {
			t.Fatalf("a sender saw Len = %d > capacity %d", m, capacity)
		}
		if _, err := rx.TryRecv(); !errors.Is(err, ErrEmpty) {
			t.Fatalf("TryRecv after draining: %v, want ErrEmpty", err)
		}
	})

	t.Run("heap does not grow with traffic", func(t *testing.T) {
		tx, rx := newChan(t, 16)
		const total = 200_000
		// One goroutine fills and drains in turn: no hand-off between
		// threads, so the 200k messages take well under a second even on a
		// loaded box; concurrency is the first subtest's business.
		msg := make([]byte, 64)
		pump := func(n int) {
			for i := 0; i < n; i += 16 {
				for j := range 16 {
					binary.LittleEndian.PutUint32(msg, uint32(i+j))
					if err := tx.Send(msg); err != nil {
						t.Fatalf("Send: %v", err)
					}
				}
				wantErr(t, tx.TrySend(msg), ErrFull)
				// Recv allocates a fresh slice per message on purpose: the
				// garbage must be collectable, nothing kept by the binding.
				for j := range 8 {
					b, err := rx.Recv()
					if err != nil {
						t.Fatalf("Recv: %v", err)
					}
					if got := binary.LittleEndian.Uint32(b); got != uint32(i+j) {
						t.Fatalf("message %d, want %d", got, i+j)
					}
				}
				for j := 8; j < 16; {
					bs, err := rx.RecvBatch(16 - j)
					if err != nil {
						t.Fatalf("RecvBatch: %v", err)
					}
					for _, b := range bs {
						if got := binary.LittleEndian.Uint32(b); got != uint32(i+j) {
							t.Fatalf("message %d, want %d", got, i+j)
						}
						j++
					}
				}
			}
		}
		pump(1024) // warm-up: pools, scratch arrays, goroutine stacks
		before := heapAfterGC()
		pump(total)
		// refused sends on a full channel leave nothing behind either
		for tx.Len() < tx.Cap() {
			if err := tx.Send(msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
		}
		for range 20_000 {
			wantErr(t, tx.TrySend(msg), ErrFull)
		}
		for range 100 {
			wantErr(t, tx.SendTimeout(msg, time.Microsecond), ErrTimeout)
		}
		after := heapAfterGC()
		t.Logf("live heap %d -> %d bytes after %d messages", before, after, total)
		if after > before+slack {
			t.Fatalf("live heap grew from %d to %d bytes after %d messages", before, after, total)
		}
		if n := rx.Len(); n != 16 {
			t.Fatalf("Len = %d, want 16", n)
		}
	})
}

// TestS16CancellationSend checks S16 (cancellation): it races context cancellation against a slow
// consumer: each SendContext either reports success and its message arrives
// exactly once, or reports the cancellation and its message never arrives.
func TestS16CancellationSend(t *testing.T) {
	const (
		senders  = 8
		attempts = 60
	)
	tx, rx := newChan(t, 2)

	// already cancelled: nothing is sent even though there is room
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := tx.SendContext(ctx, []byte{0xff, 0xff, 0xff, 0xff})
	wantErr(t, err, context.Canceled)
	wantErr(t, err, ErrTimeout)
	if n := rx.Len(); n != 0 {
		t.Fatalf("Len = %d after a cancelled send, want 0", n)
	}

	type outcome struct{ sent, cancelled []uint32 }
	results := make([]outcome, senders)
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := make([]byte, 4)
			for i := range attempts {
				id := uint32(g*attempts + i)
				binary.LittleEndian.PutUint32(msg, id)
				ctx, cancel := context.WithCancel(context.Background())
				// cancel somewhere in the first few ms of the wait, so some
				// cancels land while the send is parked inside C and some
				// after a consumer freed a slot
				timer := time.AfterFunc(time.Duration(rand.IntN(3000))*time.Microsecond, cancel)
				err := tx.SendContext(ctx, msg)
				timer.Stop()
				cancel()
				switch {
				case err == nil:
					results[g].sent = append(results[g].sent, id)
				case errors.Is(err, context.Canceled) && errors.Is(err, ErrTimeout):
					results[g].cancelled = append(results[g].cancelled, id)
				default:
					t.Errorf("SendContext: %v", err)
					return
				}
			}
		}()
	}

	// A consumer slower than the senders, so the channel is mostly full.
	received := make(map[uint32]int)
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for {
			b, err := rx.Recv()
			if errors.Is(err, ErrClosed) {
				return
			}
			if err != nil {
				t.Errorf("Recv: %v", err)
				return
			}
			received[binary.LittleEndian.Uint32(b)]++
			// Short pauses: cancelled senders are often served before they
			// notice the cancellation. Now and then a pause longer than
			// pollSlice: then they notice and give up.
			pause := time.Duration(rand.IntN(500)) * time.Microsecond
			if len(received)%20 == 0 {
				pause = pollSlice + 5*time.Millisecond
			}
			time.Sleep(pause)
		}
	}()
	wg.Wait()
	if err := tx.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-recvDone:
	case <-time.After(10 * time.Second):
		t.Fatal("consumer did not reach end-of-stream")
	}

	var nSent, nCancelled int
	for _, r := range results {
		for _, id := range r.sent {
			if received[id] != 1 {
				t.Fatalf("message %d reported sent, received %d times", id, received[id])
			}
		}
		for _, id := range r.cancelled {
			if received[id] != 0 {
				t.Fatalf("message %d reported cancelled, but received %d times", id, received[id])
			}
		}
		nSent += len(r.sent)
		nCancelled += len(r.cancelled)
	}
	if len(received) != nSent {
		t.Fatalf("received %d distinct messages, %d reported sent", len(received), nSent)
	}
	t.Logf("%d sent, %d cancelled", nSent, nCancelled)
	// both outcomes must actually occur, or the race was not exercised
	if nSent == 0 || nCancelled == 0 {
		t.Fatalf("%d sent, %d cancelled: want both outcomes", nSent, nCancelled)
	}
}

// TestS16CancellationRecv checks S16 (cancellation): it cancels RecvContext calls at random moments while
// a bursty producer sends a numbered stream: every message still arrives,
// once and in order.
func TestS16CancellationRecv(t *testing.T) {
	const total = 3000
	tx, rx := newChan(t, 8)

	// deterministic case: a receive cancelled while waiting on an empty
	// channel, then a message sent right after, which the next receive gets
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := rx.RecvContext(ctx)
		errc <- err
	}()
	time.Sleep(30 * time.Millisecond)
	cancel()
	if err := tx.Send([]byte("after cancel")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			// cancelled: the message must still be waiting
			wantErr(t, err, context.Canceled)
			b, err := rx.RecvTimeout(time.Second)
			if err != nil || string(b) != "after cancel" {
				t.Fatalf("Recv after a cancelled RecvContext = %q, %v", b, err)
			}
		}
		// nil: the wait won the race and took the message; nothing lost either
	case <-time.After(2 * time.Second):
		t.Fatal("RecvContext not cancelled")
	}
	wantErr(t, func() error { _, err := rx.TryRecv(); return err }(), ErrEmpty)

	go func() {
		msg := make([]byte, 4)
		for i := 0; i < total; {
			burst := 1 + rand.IntN(20)
			for ; burst > 0 && i < total; burst-- {
				binary.LittleEndian.PutUint32(msg, uint32(i))
				if err := tx.Send(msg); err != nil {
					if !errors.Is(err, ErrClosed) { // closed: the test already failed
						t.Errorf("Send: %v", err)
					}
					return
				}
				i++
			}
			// Short pauses: a cancelled receive often gets the next message
			// before it notices the cancellation (it must return it, not drop
			// it). Now and then a pause longer than pollSlice: then it
			// notices and returns the cancellation.
			pause := time.Duration(rand.IntN(1500)) * time.Microsecond
			if rand.IntN(10) == 0 {
				pause = pollSlice + 5*time.Millisecond
			}
			time.Sleep(pause)
		}
		tx.Close()
	}()

	next, cancelled := uint32(0), 0
	deadline := time.Now().Add(20 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("stuck after %d of %d messages", next, total)
		}
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(time.Duration(rand.IntN(1000))*time.Microsecond, cancel)
		b, err := rx.RecvContext(ctx)
		timer.Stop()
		cancel()
		if errors.Is(err, ErrClosed) {
			break
		}
		if errors.Is(err, context.Canceled) {
			wantErr(t, err, ErrTimeout)
			cancelled++
			continue
		}
		if err != nil {
			t.Fatalf("RecvContext: %v", err)
		}
		if got := binary.LittleEndian.Uint32(b); got != next {
			t.Fatalf("got message %d, want %d (a cancelled receive lost or duplicated one)", got, next)
		}
		next++
	}
	if next != total {
		t.Fatalf("received %d of %d messages", next, total)
	}
	t.Logf("%d messages, %d cancelled receives", total, cancelled)
	if cancelled == 0 {
		t.Fatal("no receive was cancelled: the race was not exercised")
	}
}
