package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/trace"

	"helpdesk/ent"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
	"helpdesk/workflows"
)

// accessLogMessage is the message of every access-log record, so a log
// collector can pick them out.
const accessLogMessage = "http request"

// probePaths are answered many times a minute by health checks and
// Prometheus; their successful answers are logged at Debug, not Info, so
// they do not drown the requests of people and portals.
var probePaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// accessRecord is what the GraphQL layer learns about a request for its
// access-log line: the operation and who made it. The access-log
// middleware puts an empty one in the request's context; the GraphQL
// handler fills it in. A WebSocket carries many operations, possibly at
// once: the record keeps the first.
type accessRecord struct {
	mu            sync.Mutex
	operation     string
	operationType string
	viewer        string
	// ticket is the ID of the ticket the operation's root field answered
	// with (createTicket, acceptTicket, ticketByNumber…), 0 for none.
	ticket int
}

type accessRecordKey struct{}

// withAccessLog logs one line per request once it is answered (for a
// WebSocket: once the connection closes): method, path (never the query
// string), status, duration, and, for GraphQL, the operation, the token
// owner and the ticket it answered with (ticket, workflowID), and the
// trace ID when the request is traced. No header value and no token is
// ever logged.
func withAccessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &accessRecord{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), accessRecordKey{}, rec)))
		status := sw.code
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		}
		rec.mu.Lock()
		if rec.operationType != "" {
			attrs = append(attrs, slog.String("operation_type", rec.operationType))
		}
		if rec.operation != "" {
			attrs = append(attrs, slog.String("operation", rec.operation))
		}
		if rec.viewer != "" {
			attrs = append(attrs, slog.String("viewer", rec.viewer))
		}
		if rec.ticket != 0 {
			attrs = append(attrs, slog.String("ticket", ticketing.Number(rec.ticket)),
				slog.String("workflowID", workflows.TicketWorkflowID(rec.ticket)))
		}
		if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
			attrs = append(attrs, slog.String("traceID", sc.TraceID().String()))
		}
		rec.mu.Unlock()
		level := slog.LevelInfo
		if probePaths[r.URL.Path] && status < http.StatusBadRequest {
			level = slog.LevelDebug
		}
		log.LogAttrs(r.Context(), level, accessLogMessage, attrs...)
	})
}

// noteViewer records who made the request, for its access-log line.
func noteViewer(ctx context.Context, v viewer.Viewer) {
	rec, _ := ctx.Value(accessRecordKey{}).(*accessRecord)
	who := viewerLabel(v)
	if rec == nil || who == "" {
		return
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.viewer == "" {
		rec.viewer = who
	}
}

// viewerLabel names a viewer for the log: agent:<id>, contact:<id>,
// partner:<token ID> (a partner is its token), system, or "" for nobody.
func viewerLabel(v viewer.Viewer) string {
	switch v.Kind {
	case viewer.Agent:
		return "agent:" + strconv.Itoa(v.ID)
	case viewer.Contact:
		return "contact:" + strconv.Itoa(v.ID)
	case viewer.Partner:
		return "partner:" + strconv.Itoa(v.TokenID)
	case viewer.System:
		return "system"
	}
	return ""
}

// recordOperation is a gqlgen AroundOperations hook that puts the
// operation's name and type, and its viewer, into the request's access
// record. WebSocket clients authenticated by their init payload are known
// only here.
func recordOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if rec, _ := ctx.Value(accessRecordKey{}).(*accessRecord); rec != nil {
		oc := graphql.GetOperationContext(ctx)
		rec.mu.Lock()
		if rec.operationType == "" && oc.Operation != nil {
			rec.operationType = string(oc.Operation.Operation)
			rec.operation = oc.Operation.Name
		}
		rec.mu.Unlock()
		noteViewer(ctx, viewer.FromContext(ctx))
	}
	return next(ctx)
}

// noteTicket is a gqlgen AroundFields hook that records, for the access
// log, the ticket a root field answered with: the first of the request.
func noteTicket(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if fc := graphql.GetFieldContext(ctx); fc == nil || (fc.Object != "Mutation" && fc.Object != "Query") {
		return res, err // not a root field
	}
	t, ok := res.(*ent.Ticket)
	if !ok || t == nil {
		return res, err
	}
	if rec, _ := ctx.Value(accessRecordKey{}).(*accessRecord); rec != nil {
		rec.mu.Lock()
		if rec.ticket == 0 {
			rec.ticket = t.ID
		}
		rec.mu.Unlock()
	}
	return res, err
}
