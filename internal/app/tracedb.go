package app

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracedDriver is an ent driver that records a client span for each SQL
// statement, each COMMIT and each ROLLBACK, as a child of the caller's
// span. A span holds the statement's text (db.query.text), never its
// arguments: those are the tickets' and people's data.
type tracedDriver struct {
	dialect.Driver
	tracer trace.Tracer
	system string // db.system.name
}

// dbSystem is the db.system.name of an ent dialect.
func dbSystem(d string) string {
	switch d {
	case dialect.Postgres:
		return "postgresql"
	case dialect.SQLite:
		return "sqlite"
	}
	return d
}

// start begins the span of query, if the caller is traced: the
// background loops' polls (the outbox's, the deliveries', the event
// tail's, several a second) would be traces of a statement each.
func (d *tracedDriver) start(ctx context.Context, query string) (context.Context, trace.Span) {
	if parent := trace.SpanFromContext(ctx); !parent.SpanContext().IsValid() {
		return ctx, parent // a no-op span
	}
	op := operationOf(query)
	return d.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", d.system),
		attribute.String("db.operation.name", op),
		attribute.String("db.query.text", query),
	))
}

// end ends span with err's outcome.
func end(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// operationOf is the statement's first keyword (SELECT, INSERT, …), the
// span's name: short, and the same for every statement of a kind.
func operationOf(query string) string {
	q := strings.TrimSpace(query)
	if i := strings.IndexAny(q, " \t\n("); i > 0 {
		q = q[:i]
	}
	if len(q) > 16 {
		q = q[:16]
	}
	return strings.ToUpper(q)
}

func (d *tracedDriver) Exec(ctx context.Context, query string, args, v any) error {
	ctx, span := d.start(ctx, query)
	err := d.Driver.Exec(ctx, query, args, v)
	end(span, err)
	return err
}

func (d *tracedDriver) Query(ctx context.Context, query string, args, v any) error {
	ctx, span := d.start(ctx, query)
	err := d.Driver.Query(ctx, query, args, v)
	end(span, err)
	return err
}

// ExecContext and QueryContext serve the generated clients' raw SQL
// (savepoints, migrations' data steps).
func (d *tracedDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("app: driver %T has no ExecContext", d.Driver)
	}
	ctx, span := d.start(ctx, query)
	res, err := ex.ExecContext(ctx, query, args...)
	end(span, err)
	return res, err
}

func (d *tracedDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("app: driver %T has no QueryContext", d.Driver)
	}
	ctx, span := d.start(ctx, query)
	rows, err := q.QueryContext(ctx, query, args...)
	end(span, err)
	return rows, err
}

func (d *tracedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &tracedTx{Tx: tx, d: d, ctx: ctx}, nil
}

// BeginTx serves ent's Client.BeginTx (transactions with options).
func (d *tracedDriver) BeginTx(ctx context.Context, opts *stdsql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *stdsql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("app: driver %T has no BeginTx", d.Driver)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tracedTx{Tx: tx, d: d, ctx: ctx}, nil
}

// tracedTx traces a transaction's statements; its COMMIT and ROLLBACK,
// which get no context, are children of the span that began it.
type tracedTx struct {
	dialect.Tx
	d   *tracedDriver
	ctx context.Context
	// done: committed or rolled back. The rollback deferred after a
	// commit (ent's idiom) is no statement: it gets no span.
	done bool
}

func (t *tracedTx) Exec(ctx context.Context, query string, args, v any) error {
	ctx, span := t.d.start(ctx, query)
	err := t.Tx.Exec(ctx, query, args, v)
	end(span, err)
	return err
}

func (t *tracedTx) Query(ctx context.Context, query string, args, v any) error {
	ctx, span := t.d.start(ctx, query)
	err := t.Tx.Query(ctx, query, args, v)
	end(span, err)
	return err
}

func (t *tracedTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("app: transaction %T has no ExecContext", t.Tx)
	}
	ctx, span := t.d.start(ctx, query)
	res, err := ex.ExecContext(ctx, query, args...)
	end(span, err)
	return res, err
}

func (t *tracedTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("app: transaction %T has no QueryContext", t.Tx)
	}
	ctx, span := t.d.start(ctx, query)
	rows, err := q.QueryContext(ctx, query, args...)
	end(span, err)
	return rows, err
}

func (t *tracedTx) Commit() error {
	if t.done {
		return t.Tx.Commit()
	}
	_, span := t.d.start(t.ctx, "COMMIT")
	err := t.Tx.Commit()
	t.done = true
	end(span, err)
	return err
}

func (t *tracedTx) Rollback() error {
	if t.done {
		return t.Tx.Rollback()
	}
	_, span := t.d.start(t.ctx, "ROLLBACK")
	err := t.Tx.Rollback()
	t.done = true
	end(span, err)
	return err
}
