package funnelq

// S21 (participant failure) and S22 (hostile sizes) of shared/SEMANTICS.md.

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestS22HostileBatchSizes checks S22 for batch sizes: a receive max or a
// send batch beyond MaxBatch (1<<40 used to panic "out of memory" in
// TryRecvBatch) is ErrInvalid naming the value and the bound, nothing is
// taken or sent, and the largest allowed max works with a scratch no larger
// than the capacity.
func TestS22HostileBatchSizes(t *testing.T) {
	tx, rx := mustNew(t, 4)
	if err := tx.Send([]byte("kept")); err != nil {
		t.Fatal(err)
	}
	for _, max := range []int{MaxBatch + 1, 1 << 40, math.MaxInt, 0, -1, math.MinInt} {
		_, err := rx.TryRecvBatch(max)
		wantErr(t, err, ErrInvalid)
		_, err = rx.RecvBatch(max)
		wantErr(t, err, ErrInvalid)
		_, err = rx.RecvBatchTimeout(max, time.Millisecond)
		wantErr(t, err, ErrInvalid)
	}
	_, err := rx.TryRecvBatch(1 << 40)
	if want := "funnelq: invalid argument: batch size 1099511627776 is out of range 1..=1048576"; err.Error() != want {
		t.Fatalf("error text %q, want %q", err, want)
	}
	n, err := rx.RecvBatchInto(make([][]byte, MaxBatch+1))
	if n != 0 || !errors.Is(err, ErrInvalid) {
		t.Fatalf("RecvBatchInto(MaxBatch+1) = %d, %v; want 0, ErrInvalid", n, err)
	}
	n, err = tx.SendBatch(make([][]byte, MaxBatch+1))
	if n != 0 || !errors.Is(err, ErrInvalid) {
		t.Fatalf("SendBatch(MaxBatch+1 messages) = %d, %v; want 0, ErrInvalid", n, err)
	}
	if rx.Len() != 1 {
		t.Fatalf("Len = %d after refused batches, want 1", rx.Len())
	}
	got, err := rx.TryRecvBatch(MaxBatch)
	if err != nil || len(got) != 1 || string(got[0]) != "kept" {
		t.Fatalf("TryRecvBatch(MaxBatch) = %q, %v", got, err)
	}
	if len(rx.pend) > rx.Cap() {
		t.Fatalf("receive scratch holds %d messages, above the capacity %d", len(rx.pend), rx.Cap())
	}
}

// TestS22StaleSender checks S22 for freed handles at the Go level: a freed
// Sender returns ErrInvalid from every method, and channels created after
// the free (which may take its C handle's place) are untouched.
func TestS22StaleSender(t *testing.T) {
	stale, rx0, err := New(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := stale.Free(); err != nil {
		t.Fatal(err)
	}
	_ = rx0.Free()
	type pair struct {
		tx *Sender
		rx *Receiver
	}
	var fresh []pair
	for i := 0; i < 32; i++ {
		tx, rx := mustNew(t, 2)
		fresh = append(fresh, pair{tx, rx})
	}
	wantErr(t, stale.Send([]byte("x")), ErrInvalid)
	wantErr(t, stale.TrySend([]byte("x")), ErrInvalid)
	wantErr(t, stale.SendTimeout([]byte("x"), time.Millisecond), ErrInvalid)
	_, err = stale.SendBatch([][]byte{[]byte("x")})
	wantErr(t, err, ErrInvalid)
	_, err = stale.Clone()
	wantErr(t, err, ErrInvalid)
	wantErr(t, stale.Close(), ErrInvalid)
	if err := stale.Free(); err != nil {
		t.Fatalf("second Free: %v", err)
	}
	for i, p := range fresh {
		if p.rx.Len() != 0 || p.rx.IsClosed() {
			t.Fatalf("channel %d: len %d closed %v after the stale calls", i, p.rx.Len(), p.rx.IsClosed())
		}
		if err := p.tx.TrySend([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		b, err := p.rx.TryRecv()
		if err != nil || len(b) != 1 || b[0] != byte(i) {
			t.Fatalf("channel %d: %v %v", i, b, err)
		}
	}
}

// TestS21SenderFreedWhileSendBlocks checks S21: Free from another goroutine
// returns at once while a Send on the same Sender waits for room (it used to
// wait for that Send); the Send finishes normally, and the stream ends when
// it has returned (the Sender counts until then, S12).
func TestS21SenderFreedWhileSendBlocks(t *testing.T) {
	tx, rx := mustNew(t, 1)
	if err := tx.Send([]byte("a")); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { sent <- tx.Send([]byte("b")) }()
	time.Sleep(50 * time.Millisecond)
	freed := make(chan error, 1)
	go func() { freed <- tx.Free() }()
	select {
	case err := <-freed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("Sender.Free waited for a blocked Send")
	}
	wantErr(t, tx.TrySend([]byte("c")), ErrInvalid)
	if rx.IsClosed() {
		t.Fatal("closed while the blocked Send still holds the sender")
	}
	for _, want := range []string{"a", "b"} {
		b, err := rx.RecvTimeout(2 * time.Second)
		if err != nil || string(b) != want {
			t.Fatalf("Recv = %q, %v; want %q", b, err, want)
		}
	}
	if err := <-sent; err != nil {
		t.Fatalf("the blocked Send: %v", err)
	}
	_, err := rx.RecvTimeout(2 * time.Second)
	wantErr(t, err, ErrClosed)
}

// TestS21ChannelFreedWhileGoroutinesBlock checks S21: producers blocked in
// Send and a consumer blocked in Recv all return promptly when another
// goroutine frees the Receiver, with exact accounting (with no consumer,
// exactly capacity sends succeeded).
func TestS21ChannelFreedWhileGoroutinesBlock(t *testing.T) {
	const producers, capacity = 4, 4
	for round := 0; round < 50; round++ {
		tx, rx, err := New(capacity)
		if err != nil {
			t.Fatal(err)
		}
		var ok atomic.Int64
		wg := goProducers(t, tx, producers, func(p int, c *Sender) {
			for {
				if err := c.Send([]byte{byte(p)}); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("Send: %v", err)
					}
					return
				}
				ok.Add(1)
			}
		})
		time.Sleep(time.Duration(1+round%5) * time.Millisecond)
		start := time.Now()
		if err := rx.Free(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("blocked producers took %v to return", el)
		}
		if got := ok.Load(); got != capacity {
			t.Fatalf("round %d: %d sends succeeded with no consumer, want exactly %d", round, got, capacity)
		}
		_ = tx.Free()
	}

	// A consumer blocked in Recv on an empty channel.
	tx, rx, err := New(2)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Free()
	got := make(chan error, 1)
	go func() {
		_, err := rx.Recv()
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := rx.Free(); err != nil {
		t.Fatal(err)
	}
	wantWoken(t, got, ErrClosed, "a Recv blocked across Receiver.Free did not return")
	wantErr(t, tx.Send([]byte("x")), ErrClosed)
}

// TestS21GoroutinesExitMidStream checks S21: producers that exit in the
// middle of a stream (runtime.Goexit between two sends, or a cancelled
// context ending a waiting SendContext) cost nobody a message: every send
// that succeeded is received exactly once in per-producer order, the
// survivors finish, and the stream ends once every Sender is freed (the
// exiting goroutines free theirs in a defer). 200 rounds.
func TestS21GoroutinesExitMidStream(t *testing.T) {
	const producers, perProducer, capacity = 4, 300, 4
	rounds := 200
	if raceEnabled {
		rounds = 60
	}
	rnd := rand.New(rand.NewSource(1))
	for round := 0; round < rounds; round++ {
		tx, rx, err := New(capacity)
		if err != nil {
			t.Fatal(err)
		}
		okCount := make([]atomic.Int64, producers)
		exitAt := []int{rnd.Intn(perProducer), rnd.Intn(perProducer)}
		ctx, cancel := context.WithCancel(context.Background())
		wg := goProducers(t, tx, producers, func(p int, c *Sender) {
			var buf [8]byte
			for seq := 0; seq < perProducer; seq++ {
				if p == 0 && seq == exitAt[0] {
					runtime.Goexit() // deferred Free and Done still run
				}
				binary.LittleEndian.PutUint32(buf[:4], uint32(p))
				binary.LittleEndian.PutUint32(buf[4:], uint32(seq))
				var err error
				if p == 1 {
					err = c.SendContext(ctx, buf[:])
				} else {
					err = c.Send(buf[:])
				}
				if p == 1 && errors.Is(err, context.Canceled) {
					return
				}
				if err != nil {
					t.Errorf("producer %d: %v", p, err)
					return
				}
				okCount[p].Add(1)
			}
		})
		_ = tx.Free()
		next := make([]int, producers)
		received := 0
		for {
			b, err := rx.RecvTimeout(5 * time.Second)
			if errors.Is(err, ErrClosed) {
				break
			}
			if err != nil {
				t.Fatalf("round %d: Recv: %v", round, err)
			}
			p, seq := int(binary.LittleEndian.Uint32(b[:4])), int(binary.LittleEndian.Uint32(b[4:]))
			if p >= producers || seq != next[p] {
				t.Fatalf("round %d: producer %d seq %d, want %d", round, p, seq, next[p])
			}
			next[p]++
			received++
			if received == exitAt[1] {
				cancel() // producer 1 leaves from inside a waiting SendContext
			}
		}
		cancel()
		wg.Wait()
		for p := 0; p < producers; p++ {
			if int64(next[p]) != okCount[p].Load() {
				t.Fatalf("round %d: producer %d: %d received, %d sends succeeded", round, p, next[p], okCount[p].Load())
			}
			if p >= 2 && next[p] != perProducer {
				t.Fatalf("round %d: survivor %d finished %d of %d", round, p, next[p], perProducer)
			}
		}
		if next[0] != exitAt[0] {
			t.Fatalf("round %d: producer 0 left after %d sends, want %d", round, next[0], exitAt[0])
		}
		_ = rx.Free()
	}
}

// memoryBytes is the machine's RAM plus swap, from /proc/meminfo (0 if
// unknown).
func memoryBytes() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var total uint64
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "MemTotal:" || f[0] == "SwapTotal:") {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			total += kb << 10
		}
	}
	return total
}

// TestS22HugeCapacity checks S22 for capacities: out of range is ErrInvalid
// naming the bound; MaxCapacity, whose ring (about 32 GiB) this machine
// cannot hold, is ErrNoMemory instead of an abort of the whole process.
func TestS22HugeCapacity(t *testing.T) {
	for _, c := range []int{0, -1, math.MinInt, MaxCapacity + 1, math.MaxInt} {
		_, _, err := New(c)
		wantErr(t, err, ErrInvalid)
	}
	const ringBytes = 32 << 30
	if mem := memoryBytes(); mem == 0 || mem >= ringBytes {
		t.Skipf("RAM+swap is %d bytes: a ring of MaxCapacity could be allocated here", mem)
	}
	tx, rx, err := New(MaxCapacity)
	if err == nil {
		_ = tx.Free()
		_ = rx.Free()
		t.Fatal("New(MaxCapacity) allocated a ring larger than RAM+swap")
	}
	wantErr(t, err, ErrNoMemory)
	if want := "funnelq: out of memory: a ring of capacity 1073741824"; err.Error() != want {
		t.Fatalf("error text %q, want %q", err, want)
	}
	// The process is fine: a normal channel still works.
	tx, rx = mustNew(t, 1)
	if err := tx.Send([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	if b, err := rx.Recv(); err != nil || string(b) != "ok" {
		t.Fatalf("Recv = %q, %v", b, err)
	}
}
