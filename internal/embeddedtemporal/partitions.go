package embeddedtemporal

import (
	"database/sql"
	"fmt"
	"net/url"

	"go.temporal.io/server/common/dynamicconfig"
)

const (
	// taskQueuePartitions is how many partitions every task queue has:
	// one. Partitions spread a busy queue over matching hosts, and this
	// server has one. With several, a poll and a task on different
	// partitions meet only once one of them is forwarded to the root
	// partition, and a poll whose forward fails is not forwarded again: it
	// waits on its own partition for the rest of its long poll (up to a
	// minute) while the task waits on another. That was seen after a
	// restart of the server under a running worker, which then took a
	// ticket's change half a minute late or more.
	taskQueuePartitions = 1
	// earlierPartitions is the server's default, which earlier versions of
	// this package left in place: tasks a database holds on those
	// partitions are still read (see readPartitions).
	earlierPartitions = 4
	// childPartitionPrefix starts the name of every task queue partition
	// but the root ("/_sys/<queue>/<n>"); the tasks tables key tasks by
	// namespace ID and that name.
	childPartitionPrefix = "/_sys/"
)

// readPartitions is how many partitions of each task queue the server
// reads tasks from, writing to partitions: as many, unless the database
// still holds tasks on partitions beyond the root, written by an earlier
// version; then earlierPartitions, so those tasks are delivered rather
// than stranded, until a start finds them gone.
func readPartitions(dbPath string, partitions int) (int, error) {
	left, err := tasksOffRoot(dbPath)
	if err != nil {
		return 0, err
	}
	if left && partitions < earlierPartitions {
		return earlierPartitions, nil
	}
	return partitions, nil
}

// tasksOffRoot says whether the database at dbPath holds tasks of any
// task queue on a partition other than its root.
func tasksOffRoot(dbPath string) (bool, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return false, fmt.Errorf("embeddedtemporal: opening %s: %w", dbPath, err)
	}
	defer db.Close()
	var left bool
	err = db.QueryRow(`SELECT EXISTS (SELECT 1 FROM tasks WHERE instr(task_queue_id, ?) > 0)
		OR EXISTS (SELECT 1 FROM tasks_v2 WHERE instr(task_queue_id, ?) > 0)`,
		[]byte(childPartitionPrefix), []byte(childPartitionPrefix)).Scan(&left)
	if err != nil {
		return false, fmt.Errorf("embeddedtemporal: reading %s: %w", dbPath, err)
	}
	return left, nil
}

// partitionConfig is the dynamic config of the task queues' partitions.
func partitionConfig(read, write int) dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  read,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): write,
	}
}
