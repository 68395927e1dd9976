package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	tlog "go.temporal.io/sdk/log"

	"helpdesk/ent"
	"helpdesk/internal/store"
	"helpdesk/internal/ticketing"
	"helpdesk/workflows"
)

// Telemetry: one Prometheus registry per process, which every part that
// counts registers in and /metrics (or HELPDESK_METRICS_ADDR) serves; and
// OpenTelemetry tracing, on only when an OTLP endpoint is configured
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, read
// with the other OTEL_* variables by the OpenTelemetry SDK itself). A
// traced request's spans are the HTTP request (otelhttp), each SQL
// statement and commit (tracedDriver), the Temporal client's calls and,
// through the change's outbox message, the dispatcher's SignalWithStart
// (traceOutbox), then the workflow's own spans and its activities' (the
// Temporal SDK's OpenTelemetry interceptor, on the client and so on the
// worker made from it). Off, nothing is wrapped: tracing costs nothing.

// tracingEnv are the variables that turn tracing on.
var tracingEnv = []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"}

// tracerName names the spans helpdesk starts itself.
const tracerName = "helpdesk"

// telemetryShutdownGrace bounds the export of the last spans at exit.
const telemetryShutdownGrace = 5 * time.Second

// telemetry is a process's registry and, when tracing is on, its tracer
// provider.
type telemetry struct {
	// temporal holds the Temporal SDK's series (temporalMetrics).
	temporal *temporalSeries
	// tp is nil when tracing is off.
	tp         *sdktrace.TracerProvider
	propagator propagation.TextMapPropagator
}

// newTelemetry makes the registry and, when an OTLP endpoint is
// configured, the span exporter (gRPC, or HTTP when
// OTEL_EXPORTER_OTLP_PROTOCOL says http/protobuf).
func newTelemetry(ctx context.Context, role Role, log *slog.Logger) (*telemetry, error) {
	t := &telemetry{
		temporal:   newTemporalSeries(),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	endpoint := ""
	for _, k := range tracingEnv {
		if v := os.Getenv(k); v != "" && endpoint == "" {
			endpoint = v
		}
	}
	if endpoint == "" || strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return t, nil
	}
	protocol := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch protocol {
	case "", "grpc":
		exp, err = otlptracegrpc.New(ctx)
	case "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("app: OTEL_EXPORTER_OTLP_PROTOCOL=%s: helpdesk exports traces over grpc (the default) or http/protobuf", protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("app: the OTLP trace exporter (OTEL_EXPORTER_OTLP_ENDPOINT=%s): %w", endpoint, err)
	}
	// The service is helpdesk and its role unless OTEL_SERVICE_NAME or
	// OTEL_RESOURCE_ATTRIBUTES say otherwise (later detectors win).
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "helpdesk"), attribute.String("helpdesk.role", role.String())),
		resource.WithTelemetrySDK(), resource.WithHost(), resource.WithFromEnv())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("app: OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	// The sampler (OTEL_TRACES_SAMPLER) and the batching (OTEL_BSP_*) come
	// from the environment too; by default every trace is kept.
	t.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	log.Info("tracing on: exporting spans over OTLP", "endpoint", endpoint, "protocol", cmpOr(protocol, "grpc"))
	return t, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// registry is a new registry of the process's series, with the Temporal
// SDK's in it: Serve registers the rest.
func (t *telemetry) registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	if t != nil {
		reg.MustRegister(t.temporal)
	}
	return reg
}

func (t *telemetry) tracing() bool { return t != nil && t.tp != nil }

// close exports the spans still buffered.
func (t *telemetry) close() {
	if !t.tracing() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), telemetryShutdownGrace)
	defer cancel()
	_ = t.tp.Shutdown(ctx)
}

// temporalOptions adds the SDK's metrics (on the registry) and, when
// tracing is on, its tracing interceptor to a client's options; workers
// made from the client get both. Its logger names a ticket workflow's
// ticket and workflow ID as the rest of the log does (ticketLogHandler).
func (t *telemetry) temporalOptions(o *client.Options, log *slog.Logger) error {
	o.Logger = tlog.NewStructuredLogger(slog.New(ticketLogHandler{log.Handler()}))
	o.MetricsHandler = temporalMetrics{s: t.temporal}
	if !t.tracing() {
		return nil
	}
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer: t.tp.Tracer("temporal-sdk-go"), TextMapPropagator: t.propagator,
	})
	if err != nil {
		return fmt.Errorf("app: the Temporal tracing interceptor: %w", err)
	}
	o.Interceptors = append(o.Interceptors, i)
	return nil
}

// traceDB makes db's client trace its statements when tracing is on (after
// the migration: a start's DDL is no request's).
func (t *telemetry) traceDB(db *store.DB, opts []ent.Option) {
	if !t.tracing() {
		return
	}
	drv := &tracedDriver{Driver: entsql.OpenDB(db.Dialect, db.SQL), tracer: t.tp.Tracer(tracerName), system: dbSystem(db.Dialect)}
	db.Client = store.NewClient(drv, opts...)
}

// handler traces HTTP requests when tracing is on: one server span per
// request, named by method and path, continuing a caller's traceparent.
// Probes and WebSocket connections (which live for hours) are not traced.
func (t *telemetry) handler(h http.Handler) http.Handler {
	if !t.tracing() {
		return h
	}
	return otelhttp.NewHandler(h, "helpdesk",
		otelhttp.WithTracerProvider(t.tp), otelhttp.WithPropagators(t.propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return !strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
		}))
}

// outbox is the Temporal client of the outbox dispatcher: when tracing is
// on, each SignalWithStart continues the trace of the change it delivers
// (workflows.TicketChange.Trace, written with the change), so one trace
// runs from the request through the commit into the workflow.
func (t *telemetry) outbox(c client.Client) client.Client {
	if !t.tracing() {
		return c
	}
	return traceOutbox{Client: c, propagator: t.propagator}
}

type traceOutbox struct {
	client.Client
	propagator propagation.TextMapPropagator
}

func (c traceOutbox) SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any,
	options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error) {
	if ch, ok := signalArg.(workflows.TicketChange); ok && len(ch.Trace) > 0 {
		ctx = c.propagator.Extract(ctx, propagation.MapCarrier(ch.Trace))
		// The workflow hears of the trace through the call's headers; its
		// state need not keep the carrier.
		ch.Trace = nil
		signalArg = ch
	}
	return c.Client.SignalWithStartWorkflow(ctx, workflowID, signalName, signalArg, options, workflow, workflowArgs...)
}

// ticketLogHandler renames the Temporal SDK's WorkflowID attribute to the
// workflowID of the rest of the log and, for a ticket's workflow, adds
// its ticket number, so that the lines of the worker, the workflow and
// its activities about a ticket carry the same ticket and workflowID as
// the outbox's, the delivery's and the access log's.
type ticketLogHandler struct{ slog.Handler }

func (h ticketLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ticketLogHandler{h.Handler.WithAttrs(ticketAttrs(attrs))}
}

func (h ticketLogHandler) WithGroup(name string) slog.Handler {
	return ticketLogHandler{h.Handler.WithGroup(name)}
}

func (h ticketLogHandler) Handle(ctx context.Context, r slog.Record) error {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == "WorkflowID"
		return !found
	})
	if !found {
		return h.Handler.Handle(ctx, r)
	}
	var attrs []slog.Attr
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(ticketAttrs(attrs)...)
	return h.Handler.Handle(ctx, out)
}

// ticketAttrs is attrs with WorkflowID as workflowID, and the ticket of a
// ticket's workflow beside it.
func ticketAttrs(attrs []slog.Attr) []slog.Attr {
	if !slices.ContainsFunc(attrs, func(a slog.Attr) bool { return a.Key == "WorkflowID" }) {
		return attrs
	}
	out := make([]slog.Attr, 0, len(attrs)+1)
	for _, a := range attrs {
		if a.Key != "WorkflowID" {
			out = append(out, a)
			continue
		}
		id := a.Value.String()
		out = append(out, slog.String("workflowID", id))
		if n, ok := ticketOfWorkflow(id); ok {
			out = append(out, slog.String("ticket", n))
		}
	}
	return out
}

// ticketOfWorkflow is the ticket number of a ticket's workflow ID (one
// that workflows.TicketWorkflowID gives back).
func ticketOfWorkflow(workflowID string) (string, bool) {
	i := strings.LastIndexByte(workflowID, '-')
	id, err := strconv.Atoi(workflowID[i+1:])
	if err != nil || workflows.TicketWorkflowID(id) != workflowID {
		return "", false
	}
	return ticketing.Number(id), true
}
