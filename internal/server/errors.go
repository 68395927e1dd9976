package server

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/lib/pq"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"helpdesk/ent"
	"helpdesk/ent/privacy"
	"helpdesk/graph/scalar"
	"helpdesk/internal/bizhours"
	"helpdesk/internal/sla"
	"helpdesk/internal/ticketing"
	"helpdesk/internal/viewer"
)

// The error codes of the contract (extensions.code).
const (
	CodeUnauthenticated   = "UNAUTHENTICATED"
	CodeForbidden         = "FORBIDDEN"
	CodeNotFound          = "NOT_FOUND"
	CodeBadUserInput      = "BAD_USER_INPUT"
	CodeConflict          = "CONFLICT"
	CodeInvalidTransition = "INVALID_TRANSITION"
	CodeRateLimited       = "RATE_LIMITED"
	CodeUnavailable       = "UNAVAILABLE"
	CodeInternal          = "INTERNAL"
)

// UnavailableRetryAfter is the Retry-After of an UNAVAILABLE answer
// (HTTP 503). A PostgreSQL restart or fail-over takes a few seconds; a
// client that waits this long between tries finds it back soon after it
// is, without a storm of retries meanwhile.
const UnavailableRetryAfter = 2 * time.Second

// The messages of UNAVAILABLE. A mutation that fails so made no change
// (its transaction never committed), except one whose commit the database
// did not confirm: that change may have been saved, so the client reads
// it back before making it again (createTicket's idempotencyKey makes a
// retry safe).
const (
	unavailableMessage   = "the database is unreachable; retry in a few seconds (Retry-After)"
	commitUnknownMessage = "the database became unreachable while the change was committed: it may or may not have been saved; read it back (or retry with the same idempotencyKey) in a few seconds"
)

// notFoundMessage is the one answer for an object that does not exist or
// that the caller may not see, on every path (node, nodes, lookups by ID,
// mutations, subscriptions): telling them apart would tell another
// tenant's IDs from unused ones.
const notFoundMessage = "not found: no such object, or not visible to you"

// classify maps an error to its code and the message a client sees. It is
// the one place where our sentinel errors meet the API.
func classify(err error) (code, msg string) {
	var verr *ent.ValidationError
	var cerr *ent.ConstraintError
	switch {
	case errors.Is(err, errCommitUnknown) && unreachable(err):
		return CodeUnavailable, commitUnknownMessage
	case unreachable(err):
		return CodeUnavailable, unavailableMessage
	case errors.Is(err, viewer.ErrUnauthenticated):
		return CodeUnauthenticated, clean(viewer.ErrUnauthenticated)
	case errors.Is(err, viewer.ErrForbidden), errors.Is(err, privacy.Deny):
		return CodeForbidden, clean(err)
	case ent.IsNotFound(err):
		return CodeNotFound, notFoundMessage
	case errors.Is(err, ticketing.ErrInvalidTransition):
		return CodeInvalidTransition, clean(err)
	case errors.As(err, &verr):
		return CodeBadUserInput, fmt.Sprintf("invalid %s: %s", apiName(verr.Name), validatorMessage(verr))
	case errors.Is(err, ticketing.ErrBadInput), errors.Is(err, bizhours.ErrInvalid), errors.Is(err, sla.ErrInvalid),
		errors.Is(err, sla.ErrOutOfRange), errors.Is(err, scalar.ErrOutOfRange), errors.Is(err, errResponseTooLarge):
		return CodeBadUserInput, clean(err)
	case errors.As(err, &cerr):
		if isForeignKey(cerr) {
			return CodeBadUserInput, "an ID in the input refers to nothing that exists (or to the wrong type of object)"
		}
		return CodeConflict, "already exists: " + uniqueWhat(cerr)
	}
	return CodeInternal, "internal error"
}

// unreachable reports whether err says the database cannot be reached
// now — rather than that a statement is wrong: a connection refused,
// reset or timed out (lib/pq dials with a connect_timeout), a connection
// database/sql or lib/pq found broken, or PostgreSQL saying it is
// shutting down, starting up, out of connection slots or that the
// connection failed (SQLSTATE class 08). All of these pass once the
// database is back, so the client is told to retry, not that we failed.
func unreachable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "57P01", // admin_shutdown: pg_ctl stop -m fast, pg_terminate_backend
			"57P02", // crash_shutdown: another backend crashed, or stop -m immediate
			"57P03", // cannot_connect_now: starting up, shutting down, in recovery
			"53300": // too_many_connections
			return true
		}
		return pqErr.Code.Class() == "08" // connection_exception
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF)
}

// apiName is the GraphQL name of a field named in snake case by the data
// model: sof_number → sofNumber, organization_id → organizationID.
func apiName(field string) string {
	parts := strings.Split(field, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] == "id" {
			parts[i] = "ID"
		} else if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// validatorMessage is what a field validator said, without ent's wrapping
// ("ent: validator failed for field \"Contact.name\": …"), in words a
// client understands.
func validatorMessage(verr *ent.ValidationError) string {
	inner := errors.Unwrap(verr)
	for inner != nil {
		next := errors.Unwrap(inner)
		if next == nil {
			break
		}
		inner = next
	}
	if inner == nil {
		return "not accepted"
	}
	switch msg := inner.Error(); msg {
	case "value is less than the required length":
		return "must not be empty"
	case "value is greater than the required length":
		return "is too long"
	default:
		return clean(inner)
	}
}

// argumentError reports whether err was raised while gqlgen read the
// arguments of the field of ctx (an ID, Time, Cursor or enum value that
// does not parse): those errors sit on a path that goes past the field,
// into its arguments, while a resolver's errors sit on the field itself.
func argumentError(ctx context.Context, gerr *gqlerror.Error) (where string, ok bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return "", false
	}
	field := fc.Path()
	if len(gerr.Path) <= len(field) {
		return "", false
	}
	return ast.Path(gerr.Path[len(field):]).String(), true
}

// argumentMessage explains an argument that does not parse.
func argumentMessage(where string, err error) string {
	var num *strconv.NumError
	if errors.As(err, &num) {
		return fmt.Sprintf("invalid %s: %q is not an ID (IDs are strings of digits, as the API returns them)", where, num.Num)
	}
	return fmt.Sprintf("invalid %s: %s", where, clean(err))
}

// clean strips our package prefixes from a message meant for clients.
func clean(err error) string {
	msg := err.Error()
	for _, p := range []string{"viewer: ", "schematype: ", "ent: ", "server: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	// The code already says "bad input"; the package names say nothing.
	for trimmed := true; trimmed; {
		trimmed = false
		for _, p := range []string{"bad input: ", "bizhours: ", "sla: ", "scalar: "} {
			if rest, ok := strings.CutPrefix(msg, p); ok {
				msg, trimmed = rest, true
			}
		}
	}
	return msg
}

func isForeignKey(err *ent.ConstraintError) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "foreign key") || strings.Contains(m, "violates foreign")
}

func uniqueWhat(err *ent.ConstraintError) string {
	m := strings.ToLower(err.Error())
	for _, field := range []string{"email", "name", "region", "sof_number", "digest", "idempotency_key"} {
		if strings.Contains(m, field) {
			return "another object has this " + strings.ReplaceAll(field, "_", " ")
		}
	}
	return "another object has the same unique value"
}

// gqlgen's own codes, mapped to the contract's.
var frameworkCodes = map[string]string{
	"GRAPHQL_VALIDATION_FAILED": CodeBadUserInput,
	"GRAPHQL_PARSE_FAILED":      CodeBadUserInput,
	"COMPLEXITY_LIMIT_EXCEEDED": CodeBadUserInput,
	"INVALID_PAGINATION":        CodeBadUserInput, // entgql: first/last below zero, both given…
	"PERSISTED_QUERY_NOT_FOUND": CodeBadUserInput,
}

// errorPresenter gives every error an extensions.code from the contract.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err == nil {
			// Raised by gqlgen itself (parse, validation, limits).
			out := *gerr
			ext := map[string]any{}
			for k, v := range gerr.Extensions {
				ext[k] = v
			}
			code, _ := ext["code"].(string)
			if mapped, ok := frameworkCodes[code]; ok {
				ext["reason"] = code
				code = mapped
			}
			if code == CodeNotFound {
				out.Message = notFoundMessage // entgql's node lookups say it their way
			}
			if code == "" {
				code = CodeBadUserInput
			}
			ext["code"] = code
			out.Extensions = ext
			return &out
		}
		pres := graphql.DefaultErrorPresenter(ctx, err)
		var argErr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err != nil {
			argErr = gerr
			err = gerr.Err // the resolver's own error, without path and location
		}
		code, msg := classify(err)
		if argErr != nil && (code == CodeInternal || code == CodeBadUserInput) {
			// An argument that does not parse (an ID, Time, Cursor or enum
			// value): BAD_USER_INPUT, naming the argument.
			if where, ok := argumentError(ctx, argErr); ok {
				code, msg = CodeBadUserInput, argumentMessage(where, err)
			}
		}
		switch {
		case code == CodeInternal && !errors.Is(err, context.Canceled):
			log.ErrorContext(ctx, "graphql: internal error", "path", pres.Path.String(), "err", err)
		case code == CodeUnavailable:
			log.WarnContext(ctx, "graphql: database unreachable", "path", pres.Path.String(), "err", err)
		}
		pres.Message = msg
		pres.Extensions = map[string]any{"code": code}
		return pres
	}
}

// recoverFunc logs a panic with its stack and answers INTERNAL.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql: panic", "panic", p, "stack", string(debug.Stack()))
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": CodeInternal}}
	}
}
