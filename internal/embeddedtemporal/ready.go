package embeddedtemporal

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", also used by the server's plugin
)

// checkDatabase reports an error unless the SQLite file at dbPath looks like
// a Temporal database (so a stray file is not mistaken for one).
func checkDatabase(dbPath string) error {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return fmt.Errorf("embeddedtemporal: opening %s: %w", dbPath, err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('namespaces', 'executions', 'executions_visibility')`).Scan(&n)
	if err != nil {
		return fmt.Errorf("embeddedtemporal: reading %s: %w", dbPath, err)
	}
	if n != 3 {
		return fmt.Errorf("embeddedtemporal: %s exists but is not a Temporal database (move it away to start afresh)", dbPath)
	}
	return nil
}

// readinessProbeWorkflowID is the ID of a workflow that never exists; asking
// the server to describe it proves that the frontend, the namespace and the
// history service all answer.
const readinessProbeWorkflowID = "embeddedtemporal-readiness-probe"

// waitReady polls the frontend at addr until it serves namespace, or ctx
// ends.
func waitReady(ctx context.Context, addr, namespace string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("embeddedtemporal: connecting to frontend %s: %w", addr, err)
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	wf := workflowservice.NewWorkflowServiceClient(conn)

	probe := func() error {
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		resp, err := health.Check(callCtx, &healthpb.HealthCheckRequest{Service: workflowservice.WorkflowService_ServiceDesc.ServiceName})
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health check: frontend is %v", resp.GetStatus())
		}
		if _, err := wf.DescribeNamespace(callCtx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace}); err != nil {
			return fmt.Errorf("describing namespace %q: %w", namespace, err)
		}
		_, err = wf.DescribeWorkflowExecution(callCtx, &workflowservice.DescribeWorkflowExecutionRequest{
			Namespace: namespace,
			Execution: &commonpb.WorkflowExecution{WorkflowId: readinessProbeWorkflowID},
		})
		if err != nil && status.Code(err) != codes.NotFound {
			return fmt.Errorf("history service: %w", err)
		}
		return nil
	}

	const interval = 50 * time.Millisecond
	for {
		lastErr := probe()
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embeddedtemporal: frontend %s did not become ready for namespace %q: %w (last error: %v)", addr, namespace, ctx.Err(), lastErr)
		case <-time.After(interval):
		}
	}
}
