package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/internal/render"
	"github.com/plexform/plexform/plan"
)

// runRestore puts a backup back, atomically and with its owner and mode, through
// executor.Restore; the plan file, when there is one, names the service to stop.
func runRestore(env *cliEnv, args []string) int {
	fs := newFlags(env, "restore", "[-f FILE] [-root DIR] [-dir BACKUPSDIR] ID")
	file := fs.String("f", defaultPlanFile, "plan file (for its backups.dir and the service to stop)")
	rootFlag := fs.String("root", "", "resolve every absolute host path inside `DIR`")
	dir := fs.String("dir", "", "take the backup from this backups directory")
	positional, ok := parse(fs, args)
	if !ok {
		return exitError
	}
	if len(positional) != 1 {
		fs.Usage()
		return exitError
	}
	id := positional[0]
	b, err := backupsDir(*file, *rootFlag, *dir)
	if err != nil {
		return fail(env, err)
	}
	m, _, err := b.Load(id)
	if err != nil {
		return fail(env, err)
	}
	st, err := host.StoreAt(m.Kind, m.Target)
	if err != nil {
		return fail(env, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	svc, keep := guardingService(env, *file, *rootFlag, m.Resource)
	if svc == nil {
		fmt.Fprintln(env.stderr, "Warning: no plan names a service for this store; if Plex is running it will overwrite the restored settings when it stops. Stop Plex before restoring.")
	}
	res, err := executor.Restore(ctx, st, svc, id, executor.Options{Backups: b, Keep: keep, Version: version,
		Observer: &render.HumanObserver{W: env.stdout, Terminal: isTerminal(env.stdout)}})
	if err != nil {
		return reportFailure(env, err, b.Dir, false)
	}
	if res.Before != nil {
		fmt.Fprintf(env.stdout, "What it held before the restore is backup %s (%s undoes this).\n", res.Before.ID, restoreCommand(*file, *rootFlag, res.Before.ID))
	}
	return exitOK
}

// guardingService binds the plan file's service for a resource, if the plan is there
// and names one (restore works without a plan too), and the plan's keep.
func guardingService(env *cliEnv, file, rootFlag, resource string) (*host.Service, int) {
	p, err := plan.Load(file)
	if err != nil {
		return nil, plan.DefaultKeep
	}
	root, _ := checkRoot(rootFlag)
	h, err := host.Open(p, hostOptions(env, p, root))
	if err != nil {
		return nil, p.Backups.Keep
	}
	if s := h.Store(resource); s != nil {
		return s.Service, p.Backups.Keep
	}
	return nil, p.Backups.Keep
}
