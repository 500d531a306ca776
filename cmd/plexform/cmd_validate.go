package main

import (
	"fmt"

	"github.com/plexform/plexform/plan"
)

// runValidate checks the plan file alone: syntax, fields, kinds, names, references.
// It reads nothing on the host, so it runs anywhere, such as in a repo's CI.
func runValidate(env *cliEnv, args []string) int {
	fs := newFlags(env, "validate", "[-f FILE]")
	file := fs.String("f", defaultPlanFile, "plan file")
	if _, ok := parse(fs, args); !ok {
		return exitError
	}
	p, err := plan.Load(*file)
	if err != nil {
		return fail(env, err)
	}
	fmt.Fprintf(env.stdout, "Success! %s is a valid plan (%d resources, %d verify checks).\n", *file, len(p.Resources), len(p.Verify))
	return exitOK
}
