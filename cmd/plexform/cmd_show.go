package main

import (
	"fmt"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/views"
)

// showOptions are the flags of `plexform show`.
type showOptions struct {
	asJSON bool
}

func (o *showOptions) flags(fs *cmdFlags) {
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON document")
}

// run prints a saved plan as `plan` printed it.
func (o *showOptions) run(env *cliEnv, fs *cmdFlags, positional []string) int {
	if len(positional) != 1 {
		fs.Usage()
		return exitError
	}
	data, err := plan.ReadFile(positional[0])
	if err != nil {
		return fail(env, fmt.Errorf("read saved plan: %w", err))
	}
	saved, err := plan.ParseSaved(positional[0], data)
	if err != nil {
		return fail(env, err)
	}
	if err := views.NewShow(views.KindFor(o.asJSON), streams(env)).Saved(saved); err != nil {
		return fail(env, err)
	}
	return exitOK
}
