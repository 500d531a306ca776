package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

// planOptions are the flags of `plexform plan`.
type planOptions struct {
	file     string
	out      string
	asJSON   bool
	detailed bool
	rootFlag string
}

func (o *planOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.file, "f", defaultPlanFile, "plan file")
	fs.StringVar(&o.out, "out", "", "save the plan to `PLANFILE` for a later `apply PLANFILE`")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON document instead of the human view")
	fs.BoolVar(&o.detailed, "detailed-exitcode", false, "exit 2 when there are changes, 0 when there are none, 4 when nothing in the plan applies to this OS")
	fs.StringVar(&o.rootFlag, "root", "", "resolve every absolute host path inside `DIR`")
}

// run shows what apply would change; it changes nothing on the host.
func (o *planOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	view := views.NewPlan(views.KindFor(o.asJSON), streams(env))
	if err := checkOut(o.out); err != nil {
		return fail(env, err)
	}
	root, err := checkRoot(o.rootFlag)
	if err != nil {
		return fail(env, err)
	}
	h, data, err := loadHost(env, o.file, root)
	if err != nil {
		return fail(env, err)
	}
	// A run cut short may have left the host half changed: a plan of it would mislead.
	backups, err := state.Locate(h.Plan, h.Options.Root)
	if err != nil {
		return fail(env, err)
	}
	if err := backups.CheckUnfinished(); err != nil {
		return fail(env, err)
	}
	ch, err := h.Diff(context.Background())
	if err != nil {
		return fail(env, err)
	}
	if err := view.Changes(ch, func() (*views.Fleet, error) { return views.LastChange(backups, ch) }); err != nil {
		return fail(env, err)
	}
	// A change apply would refuse (a running Plex no service stops) is an error, not a
	// change to come: exit 1 with or without -detailed-exitcode, and save nothing.
	if refused := ch.Refused(); len(refused) > 0 {
		view.Refused(refused)
		return exitError
	}
	if o.out != "" {
		saved, err := plan.NewSaved(h.Plan, data, root, runtime.GOOS, version, ch)
		if err == nil {
			err = saved.Write(o.out)
		}
		if err != nil {
			return fail(env, fmt.Errorf("save plan: %w", err))
		}
		view.Saved(o.out)
	}
	switch {
	case o.detailed && ch.HasChanges():
		return exitChanges
	case o.detailed && ch.NothingApplies():
		// A drift check run on a runner of the wrong OS checked nothing: it must not
		// pass as "no drift".
		return exitNothingApplies
	}
	return exitOK
}
