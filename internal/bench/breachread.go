package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// readTicket is one node of breachReadOp's answer.
type readTicket struct {
	ID                 string    `json:"id"`
	FirstResponseDueAt time.Time `json:"firstResponseDueAt"`
	Events             []struct {
		Kind      string    `json:"kind"`
		Data      *string   `json:"data"`
		CreatedAt time.Time `json:"createdAt"`
	} `json:"events"`
}

// readBreaches reads every created ticket's first-response breaches in
// batches of readBatch on readWorkers workers and returns them with how
// many tickets could not be read. Only ctx ending is an error.
func readBreaches(ctx context.Context, c *gqlClient, cfg BreachConfig, created []createdTicket, errLog *errorLog, logf func(string, ...any)) ([]ticketRead, int, error) {
	var (
		reads  = make([]ticketRead, 0, len(created))
		mu     sync.Mutex
		read   atomic.Int64
		unread atomic.Int64
		nextB  atomic.Int64
		wg     sync.WaitGroup
	)
	batches := (len(created) + readBatch - 1) / readBatch
	logf("bench: breach: reading the events of %d tickets", len(created))
	for range min(readWorkers, batches) {
		wg.Go(func() {
			for {
				b := int(nextB.Add(1) - 1)
				if b >= batches || ctx.Err() != nil {
					return
				}
				batch := created[b*readBatch : min((b+1)*readBatch, len(created))]
				got, err := readBatchOnce(ctx, c, cfg.Token, batch, errLog)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					unread.Add(int64(len(batch)))
					continue
				}
				mu.Lock()
				reads = append(reads, got...)
				mu.Unlock()
				read.Add(int64(len(got)))
				unread.Add(int64(len(batch) - len(got)))
			}
		})
	}
	stopProgress := progressEverySecond(cfg.Progress, func() string {
		return fmt.Sprintf("bench: breach: read %d/%d", read.Load(), len(created))
	})
	wg.Wait()
	stopProgress()
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("bench: breach: reading the events: %w", err)
	}
	logf("bench: breach: read %d/%d", read.Load(), len(created))
	return reads, int(unread.Load()), nil
}

// readBatchOnce reads one batch with up to readAttempts tries; a ticket
// the answer lacks (null) is left out of the result.
func readBatchOnce(ctx context.Context, c *gqlClient, token string, batch []createdTicket, errLog *errorLog) ([]ticketRead, error) {
	ids := make([]string, len(batch))
	for i, t := range batch {
		ids[i] = t.ID
	}
	var last error
	for attempt := 1; attempt <= readAttempts; attempt++ {
		if attempt > 1 {
			sleep(ctx, time.Duration(attempt-1)*retryBackoff)
		}
		var out struct {
			Nodes []*readTicket `json:"nodes"`
		}
		rctx, cancel := context.WithTimeout(ctx, prepareTimeout)
		_, err := c.do(rctx, token, breachReadOp, map[string]any{"ids": ids}, &out)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err == nil && len(out.Nodes) != len(ids) {
			err = fmt.Errorf("nodes answered %d entries for %d ids", len(out.Nodes), len(ids))
		}
		if err == nil {
			got := make([]ticketRead, 0, len(out.Nodes))
			for i, n := range out.Nodes {
				if n == nil || n.ID != ids[i] {
					continue
				}
				got = append(got, breachesOf(n))
			}
			return got, nil
		}
		errLog.add("readEvents", err)
		last = err
	}
	return nil, last
}

// breachesOf picks a read ticket's first-response SLA_BREACHED events.
// Their data is {"clock":"FIRST_RESPONSE","dueAt":"<RFC 3339>"}; an event
// whose data is not that shape is malformed, one of another clock is not
// this scenario's.
func breachesOf(n *readTicket) ticketRead {
	r := ticketRead{dueAt: n.FirstResponseDueAt}
	for _, e := range n.Events {
		if e.Kind != "SLA_BREACHED" {
			continue
		}
		var data struct {
			Clock string `json:"clock"`
			DueAt string `json:"dueAt"`
		}
		if e.Data == nil || json.Unmarshal([]byte(*e.Data), &data) != nil || data.Clock == "" {
			r.malformed++
			continue
		}
		if data.Clock != "FIRST_RESPONSE" {
			continue
		}
		due, err := time.Parse(time.RFC3339Nano, data.DueAt)
		if err != nil {
			r.malformed++
			continue
		}
		r.breaches = append(r.breaches, breachEvent{dueAt: due, recordedAt: e.CreatedAt})
	}
	return r
}
