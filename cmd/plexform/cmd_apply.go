package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
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
		return failUnchanged(env, err)
	}

	var saved *plan.Saved
	var h *host.Host
	fileGiven := false
	fs.Visit(func(f *flag.Flag) { fileGiven = fileGiven || f.Name == "f" })
	if len(positional) == 1 && fileGiven {
		return failUnchanged(env, fmt.Errorf("give either -f FILE (a plan file) or PLANFILE (a saved plan), not both"))
	}
	if len(positional) == 1 {
		saved, h, err = loadSaved(env, positional[0], root, *rootFlag != "")
	} else {
		h, _, err = loadHost(env, *file, root)
	}
	if err != nil {
		return failUnchanged(env, err)
	}
	backups, err := state.Locate(h.Plan, h.Options.Root)
	if err != nil {
		return failUnchanged(env, err)
	}

	ctx, settle, stop := interruptibleRun(env)
	defer stop()
	res, code, ok := runOperation(ctx, settle, env, operation{h: h, backups: backups, saved: saved, ask: !*autoApprove, asJSON: *asJSON, lockWait: *lockWait,
		verb: "apply", howElse: "pass -auto-approve, or apply a saved plan (plexform plan -out FILE, then plexform apply FILE)"})
	if !ok {
		return code
	}
	for _, line := range res.Cleaned {
		fmt.Fprintln(env.stderr, redact.PrintableLines(line))
	}
	if !res.Applied {
		if *asJSON {
			_ = views.WriteJSONLine(env.stdout, views.ApplyJSON{Type: "apply_complete", Changes: views.PlanJSON(res.Changes, version), Backups: []string{}})
		}
		return exitOK
	}
	if *asJSON {
		_ = views.WriteJSONLine(env.stdout, views.ApplyJSON{Type: "apply_complete", Changes: views.PlanJSON(res.Changes, version),
			DowntimeMs: res.Downtime.Milliseconds(), DowntimeUs: res.Downtime.Microseconds(), Backups: views.BackupIDs(res.Backups), Rechecked: res.Rechecked})
		return exitOK
	}
	undo := ""
	if len(res.Backups) > 0 {
		undo = restoreCommand(h.Plan.File, h.Options.Root, res.Backups[0].ID)
	}
	views.ApplyHuman(env.stdout, res, backups.Path, undo, styleFor(env, env.stdout))
	return exitOK
}

// operation is one locked apply of a bound plan, as apply and reset run it.
type operation struct {
	h       *host.Host
	backups *state.Dir
	saved   *plan.Saved // apply exactly this saved plan, or nil
	ask     bool        // ask for "yes" before changing anything (never for a saved plan)
	asJSON  bool
	// lockWait is -lock-timeout; verb names the command in the prompt's messages, and
	// howElse says how to approve without a terminal.
	lockWait      time.Duration
	verb, howElse string
}

// runOperation runs op through executor.Run: it reads, shows, asks, and applies exactly
// what it showed. ok is false when the run ended without a result (declined, refused,
// failed, each said already); code is then the exit code. ctx and settle are the
// caller's interruptibleRun, which the caller stops once its output is printed.
func runOperation(ctx context.Context, settle func(), env *cliEnv, op operation) (res *executor.Result, code int, ok bool) {
	h, saved, asJSON := op.h, op.saved, op.asJSON

	var obs executor.Observer = &views.HumanObserver{W: env.stdout, Terminal: isTerminal(env.stdout)}
	if asJSON {
		obs = &views.JSONObserver{W: env.stdout}
	}
	// One locked operation: the executor reads, this shows, the user confirms, and the
	// executor applies exactly what was shown.
	run := executor.Operation{Host: h, Options: executor.Options{
		Backups: op.backups, Keep: h.Plan.Backups.Keep, LockWait: op.lockWait, Saved: saved,
		PlanFile: h.Plan.File, Root: h.Options.Root, Version: version, Observer: obs,
	}}
	run.Show = func(ch *plan.Changes) {
		if asJSON {
			return
		}
		// A saved plan is applied exactly as saved: show that, not today's reading.
		if saved != nil {
			ch = saved.Changes()
		}
		views.PlanHuman(env.stdout, ch, styleFor(env, env.stdout))
	}
	if saved == nil && op.ask {
		run.Confirm = func(ctx context.Context) (bool, error) {
			_, ok := askYes(ctx, env, !asJSON, op.verb, "Do you want to perform these actions?", op.howElse)
			return ok, nil
		}
	}
	res, err := executor.Run(ctx, run)
	settle()
	if errors.Is(err, executor.ErrCancelled) {
		return nil, exitError, false // askYes said why
	}
	if err != nil {
		return nil, reportFailure(env, op.verb, err, op.backups.Path, asJSON), false
	}
	return res, exitOK, true
}

// loadSaved reads a saved plan and binds the plan file it was made from, as it was.
func loadSaved(env *cliEnv, path, root string, rootGiven bool) (*plan.Saved, *host.Host, error) {
	data, err := plan.ReadFile(path)
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
	opts, err := hostOptions(env, p, saved.Root)
	if err != nil {
		return nil, nil, err
	}
	h, err := host.Open(p, opts)
	if err != nil {
		return nil, nil, err
	}
	return saved, h, nil
}

// reportFailure ends a failed command that changes the host (what: "apply", "restore",
// "recover") with what failed and the state the host is left in; it returns the exit code.
func reportFailure(env *cliEnv, what string, err error, backupsDir string, asJSON bool) int {
	f, ok := executor.IsFailure(err)
	if !ok {
		f = &executor.Failure{Err: err, RolledBack: true}
	}
	code := exitError
	if !f.RolledBack {
		code = exitIncomplete
	}
	if asJSON {
		_ = views.WriteJSONLine(env.stdout, views.FailureJSON{Type: "apply_failed", Error: f.Err.Error(), RolledBack: f.RolledBack, Changed: f.Changed,
			Left: append([]string{}, f.Left...), Backups: views.BackupIDs(f.Backups)})
	}
	// The first line says a signal ended it ("interrupted by SIGTERM"); the last says
	// the state the host is in.
	views.ApplyFailureHuman(env.stderr, styleFor(env, env.stderr), what, f, backupsDir)
	return code
}
