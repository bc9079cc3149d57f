package funnelq

// Throughput beside a buffered Go channel, in the same run: P producer
// goroutines (P = 1, 2, 4) send 16-byte messages to one consumer (the
// benchmark goroutine) through a channel of capacity 1024; ns/op is per
// message. ci/bench-go.sh runs them and reports the figures; alone:
//
//	go test -run '^$' -bench MPSC -benchtime 200000x -count 5
//
// Sub-benchmarks (BenchmarkMPSC/P=<producers>/<name>):
//
//	GoChan         chan []byte: the slice header travels, the bytes are not copied
//	GoChanBatch64  chan [][]byte of 16 batches of 64 (1024 messages)
//	SendRecv       Send / Recv: copied into C memory, then into a new Go slice
//	Batch64        SendBatch of 64 / RecvBatch(64): two cgo calls per 64 messages
//	Batch64Into    SendBatch of 64 / RecvBatchInto: receive into reused buffers

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

const (
	benchCap   = 1024
	benchBatch = 64
)

var payload = []byte("0123456789abcdef")

func BenchmarkMPSC(b *testing.B) {
	impls := []struct {
		name string
		run  func(b *testing.B, producers int)
	}{
		{"GoChan", benchGoChan},
		{"GoChanBatch64", benchGoChanBatch},
		{"SendRecv", benchSendRecv},
		{"Batch64", benchBatch64},
		{"Batch64Into", benchBatch64Into},
	}
	// Implementations inside producer counts, so that with -count each
	// round measures every implementation under the same machine load.
	for _, p := range []int{1, 2, 4} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("P=%d/%s", p, impl.name), func(b *testing.B) { impl.run(b, p) })
		}
	}
}

// share is producer i's part of n messages.
func share(n, producers, i int) int {
	s := n / producers
	if i < n%producers {
		s++
	}
	return s
}

// eachBatch calls send with the sizes of count messages cut into batches.
func eachBatch(count int, send func(k int) error) error {
	for sent := 0; sent < count; {
		k := min(benchBatch, count-sent)
		if err := send(k); err != nil {
			return err
		}
		sent += k
	}
	return nil
}

func checkReceived(b *testing.B, n int) {
	if n != b.N {
		b.Fatalf("received %d of %d messages", n, b.N)
	}
}

func checkMsg(b *testing.B, m []byte) {
	if len(m) != len(payload) {
		b.Fatalf("received a message of %d bytes, sent %d", len(m), len(payload))
	}
}

// goChanProducers starts one goroutine per producer, each running send
// with its share of b.N, and closes ch once they are all done (the Go
// channel's end of stream).
func goChanProducers[E any](b *testing.B, ch chan E, producers int, send func(count int)) {
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := range producers {
		wg.Add(1)
		go func(count int) {
			defer wg.Done()
			send(count)
		}(share(b.N, producers, i))
	}
	go func() {
		wg.Wait()
		close(ch)
	}()
}

func benchGoChan(b *testing.B, producers int) {
	ch := make(chan []byte, benchCap)
	goChanProducers(b, ch, producers, func(count int) {
		for range count {
			ch <- payload
		}
	})
	n := 0
	for m := range ch {
		checkMsg(b, m)
		n++
	}
	checkReceived(b, n)
}

func benchGoChanBatch(b *testing.B, producers int) {
	ch := make(chan [][]byte, benchCap/benchBatch)
	goChanProducers(b, ch, producers, func(count int) {
		_ = eachBatch(count, func(k int) error {
			// A new slice per batch: the consumer owns what it received.
			batch := make([][]byte, k)
			for j := range batch {
				batch[j] = payload
			}
			ch <- batch
			return nil
		})
	})
	n := 0
	for batch := range ch {
		for _, m := range batch {
			checkMsg(b, m)
		}
		n += len(batch)
	}
	checkReceived(b, n)
}

// funnelqProducers starts one goroutine per producer, each with its own
// Sender (freed when it is done: the last one ends the stream).
func funnelqProducers(b *testing.B, producers int, send func(s *Sender, count int) error) *Receiver {
	tx, rx, err := New(benchCap)
	if err != nil {
		b.Fatal(err)
	}
	senders := []*Sender{tx}
	for len(senders) < producers {
		s, err := tx.Clone()
		if err != nil {
			b.Fatal(err)
		}
		senders = append(senders, s)
	}
	b.ResetTimer()
	for i, s := range senders {
		go func(s *Sender, count int) {
			defer s.Free()
			if err := send(s, count); err != nil {
				b.Error(err)
			}
		}(s, share(b.N, producers, i))
	}
	return rx
}

func sendEach(s *Sender, count int) error {
	for range count {
		if err := s.Send(payload); err != nil {
			return err
		}
	}
	return nil
}

func sendBatches(s *Sender, count int) error {
	msgs := make([][]byte, benchBatch)
	for i := range msgs {
		msgs[i] = payload
	}
	return eachBatch(count, func(k int) error {
		_, err := s.SendBatch(msgs[:k])
		return err
	})
}

func benchSendRecv(b *testing.B, producers int) {
	rx := funnelqProducers(b, producers, sendEach)
	defer rx.Free()
	n := 0
	for {
		m, err := rx.Recv()
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		checkMsg(b, m)
		n++
	}
	checkReceived(b, n)
}

// recvBatches receives, with recv, batches from producers sending with
// sendBatches until the stream ends, checking every message.
func recvBatches(b *testing.B, producers int, recv func(rx *Receiver) ([][]byte, error)) {
	rx := funnelqProducers(b, producers, sendBatches)
	defer rx.Free()
	n := 0
	for {
		got, err := recv(rx)
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range got {
			checkMsg(b, m)
		}
		n += len(got)
	}
	checkReceived(b, n)
}

func benchBatch64(b *testing.B, producers int) {
	recvBatches(b, producers, func(rx *Receiver) ([][]byte, error) {
		return rx.RecvBatch(benchBatch)
	})
}

func benchBatch64Into(b *testing.B, producers int) {
	dst := make([][]byte, benchBatch)
	for i := range dst {
		dst[i] = make([]byte, 0, 64)
	}
	recvBatches(b, producers, func(rx *Receiver) ([][]byte, error) {
		k, err := rx.RecvBatchInto(dst)
		return dst[:k], err
	})
}
