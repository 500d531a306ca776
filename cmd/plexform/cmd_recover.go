package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

// runRecover undoes an apply that was cut short (killed, a power cut, a crash), from the
// journal it left beside the backups: the stores go back to their backups and the
// services to the states they had before that run.
func runRecover(env *cliEnv, args []string) int {
	fs := newFlags(env, "recover", "[-f FILE] [-root DIR] [-auto-approve] [-lock-timeout D]")
	file := fs.String("f", defaultPlanFile, "the plan file the interrupted apply used")
	autoApprove := fs.Bool("auto-approve", false, "recover without asking")
	rootFlag := fs.String("root", "", "resolve every absolute host path inside `DIR`")
	lockWait := fs.Duration("lock-timeout", 0, "wait this long for another run to finish")
	if !parseNoArgs(env, fs, args) {
		return exitError
	}
	root, err := checkRoot(*rootFlag)
	if err != nil {
		return fail(env, err)
	}
	h, _, err := loadHost(env, *file, root)
	if err != nil {
		return fail(env, err)
	}
	backups, err := state.Locate(h.Plan, h.Options.Root)
	if err != nil {
		return fail(env, err)
	}
	ctx, settle, stop := interruptibleRun(env)
	defer stop()
	op := executor.RecoverOperation{Host: h, Options: executor.Options{
		Backups: backups, LockWait: *lockWait, PlanFile: h.Plan.File, Root: h.Options.Root, Version: version,
		Observer: &views.HumanObserver{W: env.stdout, Terminal: isTerminal(env.stdout)},
	}}
	op.Confirm = func(ctx context.Context, actions []string) (bool, error) {
		fmt.Fprintf(env.stdout, "An apply was cut short; recover will put the host back as it was before it:\n  %s\n", redact.PrintableLines(strings.Join(actions, "\n  ")))
		if *autoApprove {
			return true, nil
		}
		_, ok := askYes(ctx, env, true, "recover", "Do you want to perform these actions?", "pass -auto-approve")
		return ok, nil
	}
	rec, err := executor.Recover(ctx, op)
	settle()
	if err != nil {
		if errors.Is(err, executor.ErrCancelled) {
			return exitError // askYes said why
		}
		return reportFailure(env, "recover", err, backups.Path, false)
	}
	if rec.Journal == nil {
		fmt.Fprintf(env.stdout, "Nothing to recover: no apply was cut short (no journal in %s).\n", redact.Printable(backups.Path))
		return exitOK
	}
	fmt.Fprintf(env.stdout, "\nRecovered: the host is as it was before the apply of %s (pid %d, cut short at step %q).\n",
		rec.Journal.Started.Format("2006-01-02 15:04:05 MST"), rec.Journal.PID, rec.Journal.Step)
	return exitOK
}
