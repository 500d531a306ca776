package main

import (
	"github.com/plexform/plexform/plan"
)

// schemaOptions are the flags of `plexform schema`.
type schemaOptions struct{}

func (*schemaOptions) flags(*cmdFlags) {}

// run prints the JSON Schema (draft 2020-12) of plan files, for editors
// (yaml-language-server) and CI linters. docs/plexform.schema.json is its output; its
// $id is the URL of this version's schema (plan.SchemaURL).
func (*schemaOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	s, err := plan.Schema(plan.SchemaURL(version))
	if err != nil {
		return fail(env, err)
	}
	if _, err := env.stdout.Write(s); err != nil {
		return fail(env, err)
	}
	return exitOK
}
