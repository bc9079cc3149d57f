// Command demo: goroutine producers feeding one consumer through funnelq,
// showing send, TrySend hitting ErrFull, backpressure, close (drain, then
// end-of-stream) and the message rate.
//
//	PKG_CONFIG_PATH=<prefix>/lib/pkgconfig go run ./cmd/demo
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	funnelq "github.com/funnelq/funnelq/examples/go"
)

const (
	producers   = 4
	perProducer = 100_000
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	fmt.Println("== funnelq demo (Go, through cgo) ==")

	// 1. capacity 2: two Sends fill it, TrySend hits ErrFull.
	tx, rx, err := funnelq.New(2)
	if err != nil {
		return err
	}
	tx.Send([]byte("a"))
	tx.Send([]byte("b"))
	err = tx.TrySend([]byte("c"))
	fmt.Printf("TrySend(\"c\") -> %v (errors.Is ErrFull: %t): capacity 2 reached, nothing enqueued\n",
		err, errors.Is(err, funnelq.ErrFull))

	// 2. backpressure: a Send on the full channel waits until Recv frees a slot.
	waited := make(chan time.Duration)
	go func() {
		start := time.Now()
		tx.Send([]byte("c"))
		waited <- time.Since(start)
	}()
	time.Sleep(50 * time.Millisecond)
	msg, _ := rx.Recv()
	fmt.Printf("Recv() -> %q\n", msg)
	fmt.Printf("Send(\"c\") waited %v for that slot (backpressure)\n", (<-waited).Round(time.Millisecond))

	// 3. close: queued messages drain, then ErrClosed.
	tx.Close()
	fmt.Printf("Close(); Send(\"d\") -> %v\n", tx.Send([]byte("d")))
	for {
		m, err := rx.Recv()
		if errors.Is(err, funnelq.ErrClosed) {
			fmt.Printf("Recv() -> %v (end of stream)\n", err)
			break
		}
		fmt.Printf("Recv() after close -> %q (drained)\n", m)
	}
	tx.Free()
	rx.Free()

	// 4. producers feeding one consumer; capacity 256 keeps memory bounded
	// and makes fast producers wait for the consumer.
	tx, rx, err = funnelq.New(256)
	if err != nil {
		return err
	}
	defer rx.Free()
	var wg sync.WaitGroup
	var fullHits [producers]int
	start := time.Now()
	for p := 0; p < producers; p++ {
		mine, err := tx.Clone()
		if err != nil {
			return err
		}
		wg.Add(1)
		go func(id int, s *funnelq.Sender) {
			defer wg.Done()
			defer s.Free() // the last Free ends the stream
			batch := make([][]byte, 0, 64)
			for seq := 0; seq < perProducer; seq++ {
				b := make([]byte, 8)
				binary.LittleEndian.PutUint64(b, uint64(id)<<32|uint64(seq))
				batch = append(batch, b)
				if len(batch) == cap(batch) || seq == perProducer-1 {
					if s.Len() == s.Cap() {
						fullHits[id]++ // the consumer is behind: SendBatch will wait
					}
					if _, err := s.SendBatch(batch); err != nil {
						return
					}
					batch = batch[:0]
				}
			}
		}(p, mine)
	}
	tx.Free()
	next := make([]uint32, producers)
	total, orderErrors := 0, 0
	for {
		msgs, err := rx.RecvBatch(256)
		if errors.Is(err, funnelq.ErrClosed) {
			break
		}
		if err != nil {
			return err
		}
		for _, m := range msgs {
			w := binary.LittleEndian.Uint64(m)
			id, seq := w>>32, uint32(w)
			if seq != next[id] {
				orderErrors++
			}
			next[id] = seq + 1
		}
		total += len(msgs)
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("%d producers x %d messages through capacity 256: %d received, per-producer order errors %d, %.2f M msg/s\n",
		producers, perProducer, total, orderErrors, float64(total)/el.Seconds()/1e6)
	fmt.Printf("producers found the channel full %v times (backpressure)\n", fullHits)
	if total != producers*perProducer || orderErrors != 0 {
		return errors.New("lost or reordered messages")
	}
	return nil
}
