package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"

	"github.com/lib/pq"
)

// PostgreSQL statements go with their parameters in one round trip.
//
// lib/pq sends a statement with parameters as two: it prepares the
// statement and waits for the parameter types, then binds and executes.
// With binary_parameters it sends parse, bind and execute at once, but
// then sends every []byte parameter in binary format, which PostgreSQL
// reads as the column type's binary form: right for bytea, wrong for
// jsonb (ent passes JSON as []byte; jsonb's binary form begins with a
// version byte). helpdesk's schema holds no bytea on PostgreSQL
// (TestPostgresSchemaHoldsNoBytea), so every byte slice is sent as text
// instead, which is what JSON is. A DATABASE_URL that sets
// binary_parameters itself keeps its choice.

// postgresConnector is the connector of DATABASE_URL dsn.
func postgresConnector(dsn string) (driver.Connector, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(dsn, "binary_parameters") {
		cfg.BinaryParameters = true
	}
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	return textBytesConnector{c}, nil
}

// pqConn is what lib/pq's connection implements and database/sql uses.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// textBytesConnector opens lib/pq connections that send byte slices as
// text.
type textBytesConnector struct{ pq *pq.Connector }

func (c textBytesConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.pq.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := conn.(pqConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("store: lib/pq's connection (%T) lacks an interface helpdesk relies on", conn)
	}
	return textBytesConn{pc}, nil
}

func (c textBytesConnector) Driver() driver.Driver { return c.pq.Driver() }

// textBytesConn is a lib/pq connection whose byte-slice parameters are
// text.
type textBytesConn struct{ pqConn }

// CheckNamedValue turns a byte slice (or what a Valuer makes of a value)
// into a string, a nil one into NULL; anything else is lib/pq's to check.
func (c textBytesConn) CheckNamedValue(nv *driver.NamedValue) error {
	if _, ok := nv.Value.(driver.Valuer); ok && !isBytes(nv.Value) {
		v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
		if err != nil {
			return err
		}
		nv.Value = v
		if b, ok := v.([]byte); ok {
			nv.Value = textOf(b)
		}
		return nil
	}
	if isBytes(nv.Value) {
		rv := reflect.ValueOf(nv.Value)
		for rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				nv.Value = nil
				return nil
			}
			rv = rv.Elem()
		}
		nv.Value = textOf(rv.Bytes())
		return nil
	}
	return c.pqConn.CheckNamedValue(nv)
}

// isBytes reports whether v is a byte slice of any named type
// (json.RawMessage…) or a pointer to one.
func isBytes(v any) bool {
	if v == nil {
		return false
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
}

// textOf is b as a text parameter: NULL when b is nil.
func textOf(b []byte) driver.Value {
	if b == nil {
		return nil
	}
	return string(b)
}
