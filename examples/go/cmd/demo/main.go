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
	// 1. capacity 2: Send twice, TrySend hits ErrFull, Recv one.
	tx, rx, err := funnelq.New(2)
	if err != nil {
		return err
	}
	tx.Send([]byte("hello"))
	tx.Send([]byte("world"))
	fmt.Printf("TrySend on a full channel: %v (errors.Is ErrFull: %t)\n",
		tx.TrySend([]byte("again")), errors.Is(tx.TrySend([]byte("again")), funnelq.ErrFull))
	msg, _ := rx.Recv()
	fmt.Printf("Recv: %q\n", msg)

	// 2. backpressure: a third Send waits until the consumer makes room.
	tx.Send([]byte("fills the slot"))
	start := time.Now()
	go func() {
		time.Sleep(100 * time.Millisecond)
		m, _ := rx.Recv()
		fmt.Printf("consumer took %q after 100 ms\n", m)
	}()
	tx.Send([]byte("had to wait"))
	fmt.Printf("a Send on the full channel waited %v\n", time.Since(start).Round(10*time.Millisecond))

	// 3. close: queued messages drain, then ErrClosed.
	tx.Close()
	fmt.Printf("Send after Close: %v\n", tx.Send([]byte("late")))
	for {
		m, err := rx.Recv()
		if errors.Is(err, funnelq.ErrClosed) {
			fmt.Printf("then: %v\n", err)
			break
		}
		fmt.Printf("drained after close: %q\n", m)
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
	start = time.Now()
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
	fmt.Printf("%d producers x %d messages: received %d, per-producer order errors %d\n",
		producers, perProducer, total, orderErrors)
	fmt.Printf("producers found the channel full %v times (backpressure)\n", fullHits)
	fmt.Printf("rate: %.2f M messages/s (%v)\n", float64(total)/el.Seconds()/1e6, el.Round(time.Millisecond))
	if total != producers*perProducer || orderErrors != 0 {
		return errors.New("lost or reordered messages")
	}
	return nil
}
