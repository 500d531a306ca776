package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

// runPlan shows what apply would change; it changes nothing on the host.
func runPlan(env *cliEnv, args []string) int {
	fs := newFlags(env, "plan", "[-f FILE] [-out PLANFILE] [-json] [-detailed-exitcode] [-root DIR]")
	file := fs.String("f", defaultPlanFile, "plan file")
	out := fs.String("out", "", "save the plan to `PLANFILE` for a later `apply PLANFILE`")
	asJSON := fs.Bool("json", false, "print one JSON document instead of the human view")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when there are changes, 0 when there are none, 4 when nothing in the plan applies to this OS")
	rootFlag := fs.String("root", "", "resolve every absolute host path inside `DIR`")
	if !parseNoArgs(env, fs, args) {
		return exitError
	}
	if err := checkOut(*out); err != nil {
		return fail(env, err)
	}
	root, err := checkRoot(*rootFlag)
	if err != nil {
		return fail(env, err)
	}
	h, data, err := loadHost(env, *file, root)
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
	if *asJSON {
		doc := views.PlanJSON(ch, version)
		if doc.Fleet, err = thisHost(backups, ch); err != nil {
			return fail(env, err)
		}
		if err := views.WriteJSON(env.stdout, doc); err != nil {
			return fail(env, err)
		}
	} else {
		views.PlanHuman(env.stdout, ch, styleFor(env, env.stdout))
	}
	// A change apply would refuse (a running Plex no service stops) is an error, not a
	// change to come: exit 1 with or without -detailed-exitcode, and save nothing.
	if refused := ch.Refused(); len(refused) > 0 {
		where := "the errors above say"
		if *asJSON {
			where = "each resource change's errors say"
		}
		fmt.Fprintf(env.stderr, "%s apply will refuse this plan while Plex Media Server runs with a file it changes; %s what runs and what to add to the plan.\n", views.Error(styleFor(env, env.stderr)), where)
		return exitError
	}
	if *out != "" {
		saved, err := plan.NewSaved(h.Plan, data, root, runtime.GOOS, version, ch)
		if err == nil {
			err = saved.Write(*out)
		}
		if err != nil {
			return fail(env, fmt.Errorf("save plan: %w", err))
		}
		if !*asJSON {
			fmt.Fprintf(env.stdout, "\nSaved the plan to %s. To apply exactly this plan: plexform apply %s\n", *out, *out)
		}
	}
	switch {
	case *detailed && ch.HasChanges():
		return exitChanges
	case *detailed && ch.NothingApplies():
		// A drift check run on a runner of the wrong OS checked nothing: it must not
		// pass as "no drift".
		return exitNothingApplies
	}
	return exitOK
}
