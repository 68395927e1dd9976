package embeddedtemporal

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/dynamicconfig"
)

// queuedWorkflows is how many workflows the partition tests start with no
// worker polling, so each one's first workflow task waits in the
// database: enough that, over four partitions, some land on every one.
const queuedWorkflows = 24

// ackInterval is how often the history service of the earlier version's
// server in TestTasksAnEarlierVersionLeftOnItsPartitionsAreStillDelivered
// records the transfer tasks it completed.
const ackInterval = time.Second

// startQueued starts queuedWorkflows timer workflows while no worker
// polls and waits until the first workflow task of each waits in the
// database (the server hands it to matching after the start returns).
func startQueued(t *testing.T, ctx context.Context, c client.Client, dbPath string) []client.WorkflowRun {
	t.Helper()
	var runs []client.WorkflowRun
	for i := range queuedWorkflows {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("queued-%d", i), TaskQueue: testTaskQueue},
			timerWorkflow, time.Duration(0))
		if err != nil {
			t.Fatalf("ExecuteWorkflow: %v", err)
		}
		runs = append(runs, run)
	}
	waitFor(t, ctx, "the workflow tasks in the database", func() bool { return queuedTasks(t, dbPath) >= queuedWorkflows })
	return runs
}

// queuedTasks counts the tasks of testTaskQueue the database holds.
func queuedTasks(t *testing.T, dbPath string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT (SELECT count(*) FROM tasks WHERE instr(task_queue_id, ?) > 0) +
		(SELECT count(*) FROM tasks_v2 WHERE instr(task_queue_id, ?) > 0)`,
		[]byte(testTaskQueue), []byte(testTaskQueue)).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEveryWorkflowTaskWaitsOnItsQueuesOnePartition queues workflow
// tasks while no worker polls: none waits on a partition but the root, so
// a worker's poll and a task always meet there.
func TestEveryWorkflowTaskWaitsOnItsQueuesOnePartition(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, dbFileName)
	s := startServer(t, ctx, Options{DataDir: dir, Logger: testLogger(t, 0)})
	c := dial(t, s)
	defer c.Close()
	startQueued(t, ctx, c, dbPath)
	if off, err := tasksOffRoot(dbPath); err != nil || off {
		t.Fatalf("tasks off the root partition: %v, %v; want none", off, err)
	}
}

// TestTasksAnEarlierVersionLeftOnItsPartitionsAreStillDelivered queues
// workflow tasks on a server that writes four partitions per task queue,
// as earlier versions did, and restarts it as this version: a worker
// runs every one of those workflows.
func TestTasksAnEarlierVersionLeftOnItsPartitionsAreStillDelivered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, dbFileName)
	logger := testLogger(t, 0)

	// The history service records every few seconds, instead of every
	// 30, that it handed the tasks to matching, which it does again after
	// a restart when the record is older: the tasks then wait on the
	// earlier partitions only.
	s1 := startServer(t, ctx, Options{DataDir: dir, Logger: logger, partitions: earlierPartitions,
		config: dynamicconfig.StaticClient{dynamicconfig.TransferProcessorUpdateAckInterval.Key(): ackInterval}})
	c1 := dial(t, s1)
	runs := startQueued(t, ctx, c1, dbPath)
	time.Sleep(3 * ackInterval)
	c1.Close()
	if err := s1.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if off, err := tasksOffRoot(dbPath); err != nil || !off {
		t.Fatalf("tasks off the root partition on the earlier version's database: %v, %v; want some", off, err)
	}

	s2 := startServer(t, ctx, Options{DataDir: dir, Logger: logger})
	c2 := dial(t, s2)
	defer c2.Close()
	w := startWorker(t, c2)
	defer w.Stop()
	for _, run := range runs {
		runCtx, cancel := context.WithTimeout(ctx, time.Minute)
		var result string
		err := c2.GetWorkflow(runCtx, run.GetID(), run.GetRunID()).Get(runCtx, &result)
		cancel()
		if err != nil || result != "timer fired" {
			t.Fatalf("workflow %s queued by the earlier version: %q, %v; want it run", run.GetID(), result, err)
		}
	}
}
