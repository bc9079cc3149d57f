package funnelq

// Benchmarks beside a plain buffered Go channel, in the same run:
//
//	go test -run '^$' -bench . -benchtime 200000x
//
// Each op is one 16-byte message from a producer goroutine to the consumer
// (the benchmark goroutine). GoChan sends a []byte header (no copy);
// funnelq copies the bytes into C memory and back into a new Go slice.

import (
	"errors"
	"testing"
)

const benchCap = 1024

var payload = []byte("0123456789abcdef")

func BenchmarkGoChan(b *testing.B) {
	ch := make(chan []byte, benchCap)
	go func() {
		for i := 0; i < b.N; i++ {
			ch <- payload
		}
		close(ch)
	}()
	b.ResetTimer()
	n := 0
	for range ch {
		n++
	}
	if n != b.N {
		b.Fatalf("received %d of %d", n, b.N)
	}
}

func BenchmarkGoChan4Producers(b *testing.B) {
	ch := make(chan []byte, benchCap)
	done := make(chan struct{})
	for p := 0; p < 4; p++ {
		go func(p int) {
			for i := p; i < b.N; i += 4 {
				ch <- payload
			}
			done <- struct{}{}
		}(p)
	}
	go func() {
		for p := 0; p < 4; p++ {
			<-done
		}
		close(ch)
	}()
	b.ResetTimer()
	n := 0
	for range ch {
		n++
	}
	if n != b.N {
		b.Fatalf("received %d of %d", n, b.N)
	}
}

func BenchmarkFunnelqSendRecv(b *testing.B) {
	tx, rx, err := New(benchCap)
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Free()
	go func() {
		defer tx.Free()
		for i := 0; i < b.N; i++ {
			if err := tx.Send(payload); err != nil {
				panic(err)
			}
		}
	}()
	b.ResetTimer()
	n := 0
	for {
		_, err := rx.Recv()
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != b.N {
		b.Fatalf("received %d of %d", n, b.N)
	}
}

func BenchmarkFunnelqSendRecv4Producers(b *testing.B) {
	tx, rx, err := New(benchCap)
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Free()
	for p := 0; p < 4; p++ {
		mine, err := tx.Clone()
		if err != nil {
			b.Fatal(err)
		}
		go func(p int, s *Sender) {
			defer s.Free()
			for i := p; i < b.N; i += 4 {
				if err := s.Send(payload); err != nil {
					panic(err)
				}
			}
		}(p, mine)
	}
	tx.Free()
	b.ResetTimer()
	n := 0
	for {
		_, err := rx.Recv()
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != b.N {
		b.Fatalf("received %d of %d", n, b.N)
	}
}

// BenchmarkFunnelqBatch64: SendBatch of 64 and RecvBatch(64): two cgo calls
// per 64 messages instead of two per message. ns/op is per message.
func BenchmarkFunnelqBatch64(b *testing.B) {
	const batch = 64
	tx, rx, err := New(benchCap)
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Free()
	go func() {
		defer tx.Free()
		msgs := make([][]byte, batch)
		for i := range msgs {
			msgs[i] = payload
		}
		for sent := 0; sent < b.N; {
			k := min(batch, b.N-sent)
			if _, err := tx.SendBatch(msgs[:k]); err != nil {
				panic(err)
			}
			sent += k
		}
	}()
	b.ResetTimer()
	n := 0
	for {
		got, err := rx.RecvBatch(batch)
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n += len(got)
	}
	if n != b.N {
		b.Fatalf("received %d of %d", n, b.N)
	}
}

// BenchmarkFunnelqBatch64Into: as Batch64, receiving with RecvBatchInto into
// reused buffers (no allocation per message on the receive side).
func BenchmarkFunnelqBatch64Into(b *testing.B) {
	const batch = 64
	tx, rx, err := New(benchCap)
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Free()
	go func() {
		defer tx.Free()
		msgs := make([][]byte, batch)
		for i := range msgs {
			msgs[i] = payload
		}
		for sent := 0; sent < b.N; {
			k := min(batch, b.N-sent)
			if _, err := tx.SendBatch(msgs[:k]); err != nil {
				panic(err)
			}
			sent += k
		}
	}()
	dst := make([][]byte, batch)
	for i := range dst {
		dst[i] = make([]byte, 0, 64)
	}
	b.ResetTimer()
	n := 0
	for {
		k, err := rx.RecvBatchInto(dst)
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n += k
	}
	if n != b.N {
		b.Fatalf("received %d of %d", n, b.N)
	}
}
