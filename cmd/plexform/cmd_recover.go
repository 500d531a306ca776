package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

// recoverOptions are the flags of `plexform recover`.
type recoverOptions struct {
	file        string
	autoApprove bool
	rootFlag    string
	lockWait    time.Duration
}

func (o *recoverOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.file, "f", defaultPlanFile, "the plan file the interrupted apply used")
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "recover without asking")
	fs.StringVar(&o.rootFlag, "root", "", "resolve every absolute host path inside `DIR`")
	fs.DurationVar(&o.lockWait, "lock-timeout", 0, "wait this long for another run to finish")
}

// run undoes an apply that was cut short (killed, a power cut, a crash), from the
// journal it left beside the backups: the stores go back to their backups and the
// services to the states they had before that run.
func (o *recoverOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	root, err := checkRoot(o.rootFlag)
	if err != nil {
		return fail(env, err)
	}
	h, _, err := loadHost(env, o.file, root)
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
		Backups: backups, LockWait: o.lockWait, PlanFile: h.Plan.File, Root: h.Options.Root, Version: version,
		Observer: &views.HumanObserver{W: env.stdout, Terminal: isTerminal(env.stdout)},
	}}
	op.Confirm = func(ctx context.Context, actions []string) (bool, error) {
		fmt.Fprintf(env.stdout, "An apply was cut short; recover will put the host back as it was before it:\n  %s\n", redact.PrintableLines(strings.Join(actions, "\n  ")))
		if o.autoApprove {
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
		return reportFailure(views.NewApply(views.KindHuman, streams(env)), "recover", err, backups.Path)
	}
	if rec.Journal == nil {
		fmt.Fprintf(env.stdout, "Nothing to recover: no apply was cut short (no journal in %s).\n", redact.Printable(backups.Path))
		return exitOK
	}
	fmt.Fprintf(env.stdout, "\nRecovered: the host is as it was before the apply of %s (pid %d, cut short at step %q).\n",
		rec.Journal.Started.Format("2006-01-02 15:04:05 MST"), rec.Journal.PID, rec.Journal.Step)
	return exitOK
}
