package ticketing

import (
	"errors"
	"fmt"
)

// The sentinel errors of the rules; internal/server maps them to
// extensions.code (INVALID_TRANSITION, BAD_USER_INPUT). Their texts carry
// no package prefix: they open the messages clients read
// ("invalid transition: acceptTicket needs a ticket in NEW; …").
var (
	// ErrInvalidTransition is wrapped by the refusal of a change the
	// lifecycle does not allow from the ticket's state; nothing changes.
	ErrInvalidTransition = errors.New("invalid transition")
	// ErrBadInput is wrapped by errors about a request's input that the
	// rules or the data model find invalid (beyond ent's field validators).
	ErrBadInput = errors.New("bad input")
)

func badInput(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, a...))
}

func invalidTransition(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidTransition, fmt.Sprintf(format, a...))
}
