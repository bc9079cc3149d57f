// Command forward shows the funnelq-nats forward loop in Go: producer
// goroutines feed a funnelq channel, and one loop drains it into a NATS
// JetStream subject with a bounded window of in-flight publish acks.
//
//	RecvBatch -> PublishMsgAsync (Nats-Msg-Id on each) -> window of PubAckFutures
//
// When the window is full the loop waits for the oldest ack instead of
// receiving, so the channel fills and the producers' Send waits: the broker's
// pace reaches them. A publish whose ack fails is sent again with the same
// Nats-Msg-Id, which the stream deduplicates. At the end the program checks
// that the stream grew by exactly the number of messages sent.
//
//	go run . -server nats://127.0.0.1:4222 -producers 4 -n 10000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	funnelq "github.com/funnelq/funnelq/examples/go"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

type config struct {
	server, subject, stream string
	producers, n            int
	window, batch, capacity int
	retryFor                time.Duration
}

func main() {
	var cfg config
	url := os.Getenv("NATS_URL")
	if url == "" {
		url = nats.DefaultURL
	}
	flag.StringVar(&cfg.server, "server", url, "NATS server")
	flag.StringVar(&cfg.subject, "subject", "funnelq.example.go", "subject to publish to")
	flag.StringVar(&cfg.stream, "stream", "FUNNELQ_EXAMPLE_GO", "stream (created on the subject if missing)")
	flag.IntVar(&cfg.producers, "producers", 4, "producer goroutines")
	flag.IntVar(&cfg.n, "n", 10000, "messages per producer")
	flag.IntVar(&cfg.window, "window", 256, "publishes awaiting their ack at once")
	flag.IntVar(&cfg.batch, "batch", 64, "messages received per step")
	flag.IntVar(&cfg.capacity, "capacity", 1024, "channel capacity")
	flag.DurationVar(&cfg.retryFor, "retry-for", 30*time.Second, "give up on a message after retrying this long")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "forward:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	if cfg.window < 1 || cfg.batch < 1 {
		return fmt.Errorf("window %d and batch %d must be at least 1", cfg.window, cfg.batch)
	}
	nc, err := nats.Connect(cfg.server, nats.Name("funnelq-example-go"))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.server, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(cfg.window),
		// A lost ack fails its future instead of waiting forever.
		jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		return err
	}
	ctx := context.Background()
	stream, err := js.Stream(ctx, cfg.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: cfg.stream, Subjects: []string{cfg.subject}})
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", cfg.stream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	before := info.State.Msgs

	tx, rx, err := funnelq.New(cfg.capacity)
	if err != nil {
		return err
	}
	defer rx.Free()
	var wg sync.WaitGroup
	for p := 0; p < cfg.producers; p++ {
		s, err := tx.Clone()
		if err != nil {
			return err
		}
		wg.Add(1)
		go func(p int, s *funnelq.Sender) {
			defer wg.Done()
			defer s.Free() // the last sender freed: end of stream after the drain
			for i := 0; i < cfg.n; i++ {
				if err := s.Send([]byte(fmt.Sprintf("%d:%d", p, i))); err != nil {
					fmt.Fprintln(os.Stderr, "producer:", err)
					return
				}
			}
		}(p, s)
	}
	tx.Free() // the producers hold their own clones

	start := time.Now()
	st, err := forward(ctx, js, rx, cfg)
	wg.Wait()
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := nc.Flush(); err != nil {
		return err
	}
	info, err = stream.Info(ctx)
	if err != nil {
		return err
	}
	total := uint64(cfg.producers * cfg.n)
	grew := info.State.Msgs - before
	fmt.Printf("forwarded %d messages in %.2f s (%.0f msg/s): %d stored, %d duplicates, %d retries, at most %d in flight\n",
		total, elapsed.Seconds(), float64(total)/elapsed.Seconds(), st.stored, st.duplicates, st.retries, st.maxInFlight)
	if grew != total || uint64(st.stored+st.duplicates) != total {
		return fmt.Errorf("stream %s grew by %d messages, expected %d", cfg.stream, grew, total)
	}
	return nil
}

type stats struct {
	stored, duplicates, retries int
	maxInFlight                 int
}

type pending struct {
	msg *nats.Msg
	fut jetstream.PubAckFuture
}

// forward drains rx into cfg.subject until end of stream, keeping at most
// cfg.window publishes awaiting their ack.
func forward(ctx context.Context, js jetstream.JetStream, rx *funnelq.Receiver, cfg config) (stats, error) {
	var st stats
	prefix := nuid.Next() // ids <prefix>-1, <prefix>-2, ...: unique per run
	seq := 0
	var inFlight []pending

	// settle waits for the oldest ack; a failed publish is sent again with
	// the same Nats-Msg-Id until the stream acknowledges it.
	settle := func() error {
		p := inFlight[0]
		inFlight = inFlight[1:]
		select {
		case ack := <-p.fut.Ok():
			st.count(ack)
			return nil
		case err := <-p.fut.Err():
			return st.retry(ctx, js, p.msg, err, cfg.retryFor)
		}
	}

	for {
		for len(inFlight) >= cfg.window {
			if err := settle(); err != nil {
				return st, err
			}
		}
		room := min(cfg.batch, cfg.window-len(inFlight))
		var msgs [][]byte
		var err error
		if len(inFlight) == 0 {
			msgs, err = rx.RecvBatch(room) // nothing in flight: wait for messages
		} else {
			msgs, err = rx.TryRecvBatch(room)
		}
		switch {
		case errors.Is(err, funnelq.ErrEmpty):
			if err := settle(); err != nil {
				return st, err
			}
			continue
		case errors.Is(err, funnelq.ErrClosed):
			// End of stream: wait for every outstanding ack, then stop.
			for len(inFlight) > 0 {
				if err := settle(); err != nil {
					return st, err
				}
			}
			return st, nil
		case err != nil:
			return st, err
		}
		for _, data := range msgs {
			seq++
			msg := nats.NewMsg(cfg.subject)
			msg.Data = data
			msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s-%d", prefix, seq))
			fut, err := js.PublishMsgAsync(msg)
			if err != nil {
				if err := st.retry(ctx, js, msg, err, cfg.retryFor); err != nil {
					return st, err
				}
				continue
			}
			inFlight = append(inFlight, pending{msg, fut})
			st.maxInFlight = max(st.maxInFlight, len(inFlight))
		}
	}
}

func (st *stats) count(ack *jetstream.PubAck) {
	if ack.Duplicate {
		st.duplicates++
	} else {
		st.stored++
	}
}

// retry publishes msg again (same Nats-Msg-Id) and waits for its ack, with a
// growing pause, until it is acknowledged or retryFor has passed.
func (st *stats) retry(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, cause error, retryFor time.Duration) error {
	deadline := time.Now().Add(retryFor)
	pause := 20 * time.Millisecond
	for time.Now().Before(deadline) {
		time.Sleep(pause)
		pause = min(2*pause, time.Second)
		st.retries++
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ack, err := js.PublishMsg(actx, msg)
		cancel()
		if err == nil {
			st.count(ack)
			return nil
		}
		cause = err
	}
	return fmt.Errorf("message %s not acknowledged after %s: %w", msg.Header.Get(jetstream.MsgIDHeader), retryFor, cause)
}
