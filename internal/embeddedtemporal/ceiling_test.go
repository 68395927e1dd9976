package embeddedtemporal

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// ceilingStarted counts the workflows of BenchmarkSignalWithStartCeiling
// that have run their first workflow task.
var ceilingStarted atomic.Int64

// noteStarted is the local activity a ceiling workflow runs once it has its
// signal: the benchmark's only way to see that the first task ran.
func noteStarted(context.Context) error {
	ceilingStarted.Add(1)
	return nil
}

// ceilingWorkflow is the least a ticket's workflow does when it begins:
// take the signal it was started with, record something, arm a timer.
func ceilingWorkflow(ctx workflow.Context) error {
	var change string
	workflow.GetSignalChannel(ctx, testSignalName).Receive(ctx, &change)
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	if err := workflow.ExecuteLocalActivity(lctx, noteStarted).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.Sleep(ctx, time.Hour)
}

// BenchmarkSignalWithStartCeiling measures what the embedded server (and a
// worker in the same process) can start at most on this machine: 16
// clients each SignalWithStart a workflow that does almost nothing, until
// every one of them has run its first workflow task. It is the upper bound
// of the outbox's delivery rate (one SignalWithStart per new ticket) with
// the in-process Temporal, whatever helpdesk does around it.
//
//	go test ./internal/embeddedtemporal -run '^$' -bench SignalWithStartCeiling -benchtime 4000x
func BenchmarkSignalWithStartCeiling(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatalf("Start: %v", err)
	}
	defer s.Stop()
	c, err := client.Dial(client.Options{HostPort: s.FrontendAddr(), Namespace: "default", Logger: quietSDK{}})
	if err != nil {
		b.Fatalf("client.Dial: %v", err)
	}
	defer c.Close()
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(ceilingWorkflow)
	w.RegisterActivity(noteStarted)
	if err := w.Start(); err != nil {
		b.Fatalf("worker start: %v", err)
	}
	defer w.Stop()

	const clients = 16
	ceilingStarted.Store(0)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	begin := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				id := "ceiling-" + strconv.FormatInt(i, 10)
				opts := client.StartWorkflowOptions{ID: id, TaskQueue: testTaskQueue}
				if _, err := c.SignalWithStartWorkflow(ctx, id, testSignalName, "created", opts, ceilingWorkflow); err != nil {
					b.Errorf("SignalWithStart %s: %v", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	signalled := time.Since(begin)
	for ceilingStarted.Load() < int64(b.N) {
		if ctx.Err() != nil {
			b.Fatalf("only %d of %d workflows ran their first task", ceilingStarted.Load(), b.N)
		}
		time.Sleep(5 * time.Millisecond)
	}
	all := time.Since(begin)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/signalled.Seconds(), "signalled/s")
	b.ReportMetric(float64(b.N)/all.Seconds(), "started/s")
}

// quietSDK drops the SDK's log lines, which would otherwise fill a
// benchmark's output.
type quietSDK struct{}

func (quietSDK) Debug(string, ...any) {}
func (quietSDK) Info(string, ...any)  {}
func (quietSDK) Warn(string, ...any)  {}
func (quietSDK) Error(string, ...any) {}
