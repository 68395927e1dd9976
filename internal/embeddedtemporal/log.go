package embeddedtemporal

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// minServerLogLevel is the lowest level of server log records passed on to
// Options.Logger; the server logs a great deal at Info and below.
const minServerLogLevel = slog.LevelWarn

// newServerLogger adapts l to the server's logger interface, passing on
// records at minServerLogLevel and above only. A nil l discards everything.
func newServerLogger(l *slog.Logger) log.Logger {
	if l == nil {
		return log.NewNoopLogger()
	}
	return slogAdapter{l: slog.New(levelFilter{h: l.Handler(), min: minServerLogLevel})}
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
		args[i] = slog.Any(t.Key(), t.Value())
	}
	return slogAdapter{l: a.l.With(args...)}
}

// SLog returns the (level-filtered) slog logger; parts of the server that
// log through slog pick it up via log.NewSlogLogger.
func (a slogAdapter) SLog() *slog.Logger { return a.l }

func (a slogAdapter) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !a.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, len(tags))
	for i, t := range tags {
		attrs[i] = slog.Any(t.Key(), t.Value())
	}
	a.l.LogAttrs(ctx, level, msg, attrs...)
}

// levelFilter is an slog.Handler that drops records below min.
type levelFilter struct {
	h   slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= f.min && f.h.Enabled(ctx, level)
}

func (f levelFilter) Handle(ctx context.Context, r slog.Record) error {
	return f.h.Handle(ctx, r)
}

func (f levelFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFilter{h: f.h.WithAttrs(attrs), min: f.min}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{h: f.h.WithGroup(name), min: f.min}
}
