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
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

// applyOptions are the flags of `plexform apply`.
type applyOptions struct {
	file        string
	autoApprove bool
	asJSON      bool
	rootFlag    string
	lockWait    time.Duration
	// schedule is -schedule NAME: this run is that schedule's (schedule install sets it).
	schedule string
	// scheduleEnv is -schedule-env FILE: the schedule's environment file.
	scheduleEnv string
}

func (o *applyOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.file, "f", defaultPlanFile, "plan file")
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "apply without asking")
	fs.BoolVar(&o.asJSON, "json", false, "print events and the result as JSON lines")
	fs.StringVar(&o.rootFlag, "root", "", "resolve every absolute host path inside `DIR`")
	fs.DurationVar(&o.lockWait, "lock-timeout", 0, "wait this long for another apply to finish")
	fs.StringVar(&o.schedule, "schedule", "", "this run is schedule `NAME`'s (schedule install sets it): record its result")
	fs.StringVar(&o.scheduleEnv, "schedule-env", "", "with -schedule: read the plan's {env:} values from `FILE` (schedule install sets it)")
}

// run makes the host match the plan file, or exactly a saved plan.
func (o *applyOptions) run(env *cliEnv, fs *cmdFlags, positional []string) (code int) {
	if len(positional) > 1 {
		fs.Usage()
		return exitError
	}
	root, err := checkRoot(o.rootFlag)
	if err != nil {
		return failUnchanged(env, err)
	}
	if o.scheduleEnv != "" && o.schedule == "" {
		return failUnchanged(env, fmt.Errorf("-schedule-env is for a scheduled run: give -schedule NAME too"))
	}
	if o.schedule != "" {
		var done func(int) int
		var ready bool
		if env, done, ready = startScheduledRun(env, o.schedule, o.scheduleEnv, o.file, root); !ready {
			return done(exitError)
		}
		defer func() { code = done(code) }()
	}

	var saved *plan.Saved
	var h *host.Host
	fileGiven := false
	fs.Visit(func(f *flag.Flag) { fileGiven = fileGiven || f.Name == "f" })
	if len(positional) == 1 && fileGiven {
		return failUnchanged(env, fmt.Errorf("give either -f FILE (a plan file) or PLANFILE (a saved plan), not both"))
	}
	if len(positional) == 1 {
		saved, h, err = loadSaved(env, positional[0], root, o.rootFlag != "")
	} else {
		h, _, err = loadHost(env, o.file, root)
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
	view := views.NewApply(views.KindFor(o.asJSON), streams(env))
	res, code, ok := runOperation(ctx, settle, env, view, operation{h: h, backups: backups, saved: saved, ask: !o.autoApprove, lockWait: o.lockWait,
		verb: "apply", howElse: "pass -auto-approve, or apply a saved plan (plexform plan -out FILE, then plexform apply FILE)"})
	if !ok {
		return code
	}
	view.Cleaned(res.Cleaned)
	undo := ""
	if len(res.Backups) > 0 {
		undo = restoreCommand(h.Plan.File, h.Options.Root, res.Backups[0].ID)
	}
	view.Applied(res, backups.Path, undo)
	return exitOK
}

// streams are where a command's view prints: stdout and stderr, coloured on a terminal
// unless NO_COLOR or -no-color says not (styleFor).
func streams(env *cliEnv) views.Streams {
	return views.Streams{Stdout: env.stdout, Stderr: env.stderr, Style: styleFor(env, env.stdout), ErrStyle: styleFor(env, env.stderr),
		Terminal: isTerminal(env.stdout), Version: version}
}

// operation is one locked apply of a bound plan, as apply and reset run it.
type operation struct {
	h       *host.Host
	backups *state.Dir
	saved   *plan.Saved // apply exactly this saved plan, or nil
	ask     bool        // ask for "yes" before changing anything (never for a saved plan)
	// lockWait is -lock-timeout; verb names the command in the prompt's messages, and
	// howElse says how to approve without a terminal.
	lockWait      time.Duration
	verb, howElse string
}

// runOperation runs op through executor.Run: it reads, shows, asks, and applies exactly
// what it showed. ok is false when the run ended without a result (declined, refused,
// failed, each said already); code is then the exit code. ctx and settle are the
// caller's interruptibleRun, which the caller stops once its output is printed.
func runOperation(ctx context.Context, settle func(), env *cliEnv, view views.Apply, op operation) (res *executor.Result, code int, ok bool) {
	h, saved := op.h, op.saved
	// One locked operation: the executor reads, the view shows, the user confirms, and
	// the executor applies exactly what was shown.
	run := executor.Operation{Host: h, Options: executor.Options{
		Backups: op.backups, Keep: h.Plan.Backups.Keep, LockWait: op.lockWait, Saved: saved,
		PlanFile: h.Plan.File, Root: h.Options.Root, Version: version, Observer: view,
	}}
	run.Show = func(ch *plan.Changes) {
		env.scheduled.saw(ch)
		// A saved plan is applied exactly as saved: show that, not today's reading.
		if saved != nil {
			ch = saved.Changes()
		}
		view.Plan(ch)
	}
	if saved == nil && op.ask {
		run.Confirm = func(ctx context.Context) (bool, error) {
			_, ok := askYes(ctx, env, view.Asks(), op.verb, "Do you want to perform these actions?", op.howElse)
			return ok, nil
		}
	}
	res, err := executor.Run(ctx, run)
	settle()
	if errors.Is(err, executor.ErrCancelled) {
		return nil, exitError, false // askYes said why
	}
	if err != nil {
		env.scheduled.failed(err)
		return nil, reportFailure(view, op.verb, err, op.backups.Path), false
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
func reportFailure(view views.Apply, what string, err error, backupsDir string) int {
	f := views.FailureOf(err)
	view.Failed(f, what, backupsDir)
	return failureCode(f)
}

// failureCode is the exit code of a failed apply: 3 when the rollback is incomplete.
func failureCode(f *executor.Failure) int {
	if !f.RolledBack {
		return exitIncomplete
	}
	return exitError
}
