//go:build ignore

// entc.go drives the generation of the data layer (ent) and its GraphQL
// schema (entgql). Run through `go generate ./...`.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"entgo.io/ent/schema/field"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
	)
	if err != nil {
		log.Fatalf("entc: creating entgql extension: %v", err)
	}
	err = entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureIntercept,
			gen.FeatureGlobalID,
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
		},
	}, entc.Extensions(ex),
		// The webhook target rule, fed by HELPDESK_WEBHOOK_ALLOW_PRIVATE:
		// every client carries it to the Webhook hooks (m.WebhookTargets).
		// Imported under another name: ent/webhook is the entity's package.
		entc.Dependency(entc.DependencyName("WebhookTargets"), entc.DependencyTypeInfo(&field.TypeInfo{
			Ident: "webhooktarget.Targets", PkgPath: "helpdesk/internal/webhook", PkgName: "webhooktarget",
		})),
	)
	if err != nil {
		log.Fatalf("entc: running ent codegen: %v", err)
	}
}
