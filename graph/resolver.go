// Package graph is the GraphQL layer: the hand-written schema.graphql, the
// ent.graphql that entgql generates, and thin resolvers that hand every
// rule to the data model (ent privacy and hooks) or the workflows.
package graph

//go:generate go run github.com/99designs/gqlgen

import (
	"github.com/99designs/gqlgen/graphql"

	"helpdesk/ent"
	"helpdesk/internal/eventtail"
)

// Resolver is the root resolver; it holds the dependencies resolvers share.
type Resolver struct {
	Client *ent.Client
	// ErrorPresenter turns an error that ends a subscription into what the
	// client sees (the server's, so the codes are mapped in one place).
	ErrorPresenter graphql.ErrorPresenterFunc
	// Events is the process's event tail, which subscriptions listen to.
	Events *eventtail.Tail
}
