package embeddedtemporal

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.uber.org/zap/zapcore"
)

// minServerLogLevel is the lowest level of server log records passed on to
// Options.Logger; the server logs a great deal at Info and below.
const minServerLogLevel = slog.LevelWarn

// ignoredServerMessages are prefixes of server log messages at Warn or above
// that say nothing useful about an embedded server and are dropped.
var ignoredServerMessages = []string{
	// Logged on every start: this server deliberately has no HTTP API
	// (and so no Nexus HTTP endpoints).
	"HTTP API port has not been set",
}

// ignoredStoppingMessages are prefixes of further messages dropped once
// Stop has begun: they are side effects of connections being torn down.
var ignoredStoppingMessages = []string{
	"unable to add metrics baggage to gRPC trailer",
}

// newServerLogger adapts l to the server's logger interface. It passes on
// records at minServerLogLevel and above only; once stopping is set (Stop
// has begun) it passes on errors only, and not those caused by the
// cancellation of the server's own calls, which shutting down always
// produces. A nil l discards everything.
func newServerLogger(l *slog.Logger, stopping *atomic.Bool) log.Logger {
	if l == nil {
		return log.NewNoopLogger()
	}
	return slogAdapter{l: slog.New(&serverLogHandler{h: l.Handler(), stopping: stopping})}
}

// slogAdapter implements the server's log.Logger on an slog.Logger. The
// server's DPanic, Panic and Fatal are logged at Error and do not panic or
// exit: an embedded server must not take the host process down.
type slogAdapter struct {
	l *slog.Logger
}

var (
	_ log.Logger      = slogAdapter{}
	_ log.WithLogger  = slogAdapter{}
	_ log.SLogWrapper = slogAdapter{}
)

func (a slogAdapter) Debug(msg string, tags ...tag.Tag)  { a.log(slog.LevelDebug, msg, tags) }
func (a slogAdapter) Info(msg string, tags ...tag.Tag)   { a.log(slog.LevelInfo, msg, tags) }
func (a slogAdapter) Warn(msg string, tags ...tag.Tag)   { a.log(slog.LevelWarn, msg, tags) }
func (a slogAdapter) Error(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) DPanic(msg string, tags ...tag.Tag) { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) Panic(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }
func (a slogAdapter) Fatal(msg string, tags ...tag.Tag)  { a.log(slog.LevelError, msg, tags) }

// With returns a logger that adds tags to every record.
func (a slogAdapter) With(tags ...tag.Tag) log.Logger {
	if len(tags) == 0 {
		return a
	}
	args := make([]any, len(tags))
	for i, t := range tags {
		args[i] = tagAttr(t)
	}
	return slogAdapter{l: a.l.With(args...)}
}

// SLog returns the filtered slog logger; parts of the server that log
// through slog pick it up via log.NewSlogLogger.
func (a slogAdapter) SLog() *slog.Logger { return a.l }

func (a slogAdapter) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !a.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, len(tags))
	for i, t := range tags {
		attrs[i] = tagAttr(t)
	}
	a.l.LogAttrs(ctx, level, msg, attrs...)
}

// tagAttr converts a server log tag to an slog attribute, keeping errors
// as error values.
func tagAttr(t tag.Tag) slog.Attr {
	if zt, ok := t.(tag.ZapTag); ok {
		if f := zt.Field(); f.Type == zapcore.ErrorType {
			if err, ok := f.Interface.(error); ok {
				return slog.Any(f.Key, err)
			}
		}
	}
	return slog.Any(t.Key(), t.Value())
}

// serverLogHandler is the slog.Handler between the server and
// Options.Logger's handler; see newServerLogger for what it drops.
type serverLogHandler struct {
	h        slog.Handler
	stopping *atomic.Bool
}

func (f *serverLogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	if f.stopping.Load() && level < slog.LevelError {
		return false
	}
	return level >= minServerLogLevel && f.h.Enabled(ctx, level)
}

func (f *serverLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if !f.Enabled(ctx, r.Level) {
		return nil
	}
	for _, prefix := range ignoredServerMessages {
		if strings.HasPrefix(r.Message, prefix) {
			return nil
		}
	}
	if f.stopping.Load() {
		for _, prefix := range ignoredStoppingMessages {
			if strings.HasPrefix(r.Message, prefix) {
				return nil
			}
		}
		canceled := false
		r.Attrs(func(a slog.Attr) bool {
			canceled = isCancellation(a.Value)
			return !canceled
		})
		if canceled {
			return nil
		}
	}
	return f.h.Handle(ctx, r)
}

func (f *serverLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &serverLogHandler{h: f.h.WithAttrs(attrs), stopping: f.stopping}
}

func (f *serverLogHandler) WithGroup(name string) slog.Handler {
	return &serverLogHandler{h: f.h.WithGroup(name), stopping: f.stopping}
}

// isCancellation reports whether v is (or describes) a context
// cancellation.
func isCancellation(v slog.Value) bool {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return strings.Contains(v.String(), context.Canceled.Error())
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return errors.Is(err, context.Canceled) || strings.Contains(err.Error(), context.Canceled.Error())
		}
	}
	return false
}
