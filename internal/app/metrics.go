package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const (
	// metricsReadHeaderTimeout bounds a scraper's request headers; a
	// Prometheus scrape sends a few hundred bytes at once.
	metricsReadHeaderTimeout = 5 * time.Second
	// metricsShutdownGrace is how long a scrape in progress may take to
	// finish at shutdown: scrapes answer in milliseconds.
	metricsShutdownGrace = 5 * time.Second
)

// serveMetrics serves reg's /metrics on a listener of its own at addr
// (HELPDESK_METRICS_ADDR) until stop is called, with Go's profiles under
// /debug/pprof/: the operators' port, never the API's, since a profile
// shows the process's insides and a CPU profile costs while it runs. The
// API registers its HTTP series in reg; a worker, which serves no HTTP,
// gets the Go runtime and process series.
func serveMetrics(addr string, reg *prometheus.Registry, role Role, log *slog.Logger) (stop func(), err error) {
	if role == RoleWorker {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("app: HELPDESK_METRICS_ADDR=%s: %w (is another helpdesk running? set HELPDESK_METRICS_ADDR to another port)", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: metricsReadHeaderTimeout}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("app: metrics listener stopped", "err", err)
		}
	}()
	log.Info("metrics listener ready", "metrics", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsShutdownGrace)
		defer cancel()
		_ = hs.Shutdown(ctx)
		<-done
	}, nil
}
