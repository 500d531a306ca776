package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/internal/render"
	"github.com/plexform/plexform/plan"
)

// runApply makes the host match the plan file, or exactly a saved plan.
func runApply(env *cliEnv, args []string) int {
	fs := newFlags(env, "apply", "[-f FILE | PLANFILE] [-auto-approve] [-json] [-root DIR] [-lock-timeout D]")
	file := fs.String("f", defaultPlanFile, "plan file")
	autoApprove := fs.Bool("auto-approve", false, "apply without asking")
	asJSON := fs.Bool("json", false, "print events and the result as JSON lines")
	rootFlag := fs.String("root", "", "resolve every absolute host path inside `DIR`")
	lockWait := fs.Duration("lock-timeout", 0, "wait this long for another apply to finish")
	positional, ok := parse(fs, args)
	if !ok {
		return exitError
	}
	if len(positional) > 1 {
		fs.Usage()
		return exitError
	}
	root, err := checkRoot(*rootFlag)
	if err != nil {
		return fail(env, err)
	}

	var saved *plan.Saved
	var h *host.Host
	fileGiven := false
	fs.Visit(func(f *flag.Flag) { fileGiven = fileGiven || f.Name == "f" })
	if len(positional) == 1 && fileGiven {
		return fail(env, fmt.Errorf("give either -f FILE (a plan file) or PLANFILE (a saved plan), not both"))
	}
	if len(positional) == 1 {
		saved, h, err = loadSaved(env, positional[0], root, *rootFlag != "")
	} else {
		h, _, err = loadHost(env, *file, root)
	}
	if err != nil {
		return fail(env, err)
	}
	backups := backupsFor(h.Plan, h.Options.Root)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Everything that can happen before the stop happens here: decode, read, diff,
	// render, confirm. The executor takes the lock and reads again.
	ch, err := h.Diff(ctx)
	if err != nil {
		return fail(env, err)
	}
	if !*asJSON {
		// A saved plan is applied exactly as saved: show that, not today's reading.
		shown := ch
		if saved != nil {
			shown = saved.Changes()
		}
		render.PlanHuman(env.stdout, shown, styleFor(env, env.stdout))
	}
	if !ch.HasChanges() && saved == nil {
		if *asJSON {
			_ = render.WriteJSONLine(env.stdout, render.ApplyJSON{Type: "apply_complete", Changes: render.PlanJSON(ch, version), Backups: []string{}})
		}
		return exitOK
	}
	// Refused before the lock, so a refusal leaves not even a backups dir behind.
	if err := executor.ServiceStateErrors(ch); err != nil {
		return fail(env, err)
	}
	if saved == nil && !*autoApprove {
		if code, ok := confirm(env, *asJSON); !ok {
			return code
		}
	}

	var obs executor.Observer = &render.HumanObserver{W: env.stdout, Terminal: isTerminal(env.stdout)}
	if *asJSON {
		obs = &render.JSONObserver{W: env.stdout}
	}
	res, err := executor.Apply(ctx, h, executor.Options{
		Backups: backups, Keep: h.Plan.Backups.Keep, LockWait: *lockWait, Saved: saved,
		PlanFile: h.Plan.File, Version: version, Observer: obs,
	})
	if err != nil {
		return reportFailure(env, err, backups.Dir, *asJSON)
	}
	if *asJSON {
		_ = render.WriteJSONLine(env.stdout, render.ApplyJSON{Type: "apply_complete", Changes: render.PlanJSON(res.Changes, version),
			DowntimeMs: res.Downtime.Milliseconds(), Backups: render.BackupIDs(res.Backups), Rechecked: res.Rechecked})
		return exitOK
	}
	undo := ""
	if len(res.Backups) > 0 {
		undo = restoreCommand(h.Plan.File, h.Options.Root, res.Backups[0].ID)
	}
	render.ApplyHuman(env.stdout, res, backups.Dir, undo, styleFor(env, env.stdout))
	return exitOK
}

// loadSaved reads a saved plan and binds the plan file it was made from, as it was.
func loadSaved(env *cliEnv, path, root string, rootGiven bool) (*plan.Saved, *host.Host, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !plan.LooksSaved(data) {
		return nil, nil, fmt.Errorf("%s is not a saved plan; to apply a plan file use `plexform apply -f %s`", path, path)
	}
	saved, err := plan.ParseSaved(path, data)
	if err != nil {
		return nil, nil, err
	}
	if saved.OS != runtime.GOOS {
		return nil, nil, fmt.Errorf("the saved plan was made on %s; this is %s", saved.OS, runtime.GOOS)
	}
	if rootGiven && root != saved.Root {
		return nil, nil, fmt.Errorf("the saved plan was made for -root %q; apply it with the same -root or none", saved.Root)
	}
	p, err := saved.LoadPlanFor()
	if err != nil {
		return nil, nil, err
	}
	h, err := host.Open(p, hostOptions(env, p, saved.Root))
	if err != nil {
		return nil, nil, err
	}
	return saved, h, nil
}

// confirm asks for "yes" on a terminal; anywhere else an unattended apply must say
// -auto-approve (or apply a saved plan).
func confirm(env *cliEnv, asJSON bool) (int, bool) {
	return askYes(env, !asJSON, "apply", "Do you want to perform these actions?",
		"pass -auto-approve, or apply a saved plan (plexform plan -out FILE, then plexform apply FILE)")
}

func reportFailure(env *cliEnv, err error, backupsDir string, asJSON bool) int {
	f, ok := executor.IsFailure(err)
	if !ok {
		f = &executor.Failure{Err: err, RolledBack: true}
	}
	code := exitError
	if !f.RolledBack {
		code = exitIncomplete
	}
	if asJSON {
		_ = render.WriteJSONLine(env.stdout, render.FailureJSON{Type: "apply_failed", Error: f.Err.Error(), RolledBack: f.RolledBack,
			Left: append([]string{}, f.Left...), Backups: render.BackupIDs(f.Backups)})
	}
	render.ApplyFailureHuman(env.stderr, f, backupsDir)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(env.stderr, "(interrupted)")
	}
	return code
}
