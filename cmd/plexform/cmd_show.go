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
	ch := saved.Changes()
	if o.asJSON {
		if err := views.WriteJSON(env.stdout, views.PlanJSON(ch, saved.Version)); err != nil {
			return fail(env, err)
		}
		return exitOK
	}
	fmt.Fprintf(env.stdout, "Saved plan made %s from %s for %s.\n\n", saved.CreatedAt.Format("2006-01-02 15:04:05 MST"), saved.PlanFile, hostName(saved))
	views.PlanHuman(env.stdout, ch, styleFor(env, env.stdout))
	return exitOK
}

func hostName(s *plan.Saved) string {
	if s.Root != "" {
		return "the host tree " + s.Root
	}
	return "this host (" + s.OS + ")"
}
