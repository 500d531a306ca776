package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/service"
)

// runRestore puts a backup back, atomically and with its owner and mode. When the plan
// file names a service guarding that store, the service is stopped for the restore and
// started again, for the same reason apply does it: PMS rewrites its settings on exit.
// The store's state before the restore is backed up first, so a restore can be undone.
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
	m, snap, err := b.Load(id)
	if err != nil {
		return fail(env, err)
	}
	st, err := host.StoreAt(m.Kind, m.Target)
	if err != nil {
		return fail(env, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	unlock, err := b.Lock(0)
	if err != nil {
		return fail(env, err)
	}
	defer unlock()
	if err := st.CheckWritable(ctx); err != nil {
		return fail(env, err)
	}
	svc := guardingService(env, *file, *rootFlag, m.Resource)
	wasUp := false
	if svc != nil {
		if wasUp, err = svc.Running(ctx); err != nil {
			return fail(env, err)
		}
		if wasUp {
			fmt.Fprintf(env.stdout, "Stopping %s (%s) for the restore…\n", svc.Resource.Name, svc.Service.Describe())
			if err := moveService(ctx, svc, false); err != nil {
				return fail(env, err)
			}
		}
	} else {
		fmt.Fprintln(env.stderr, "Warning: no plan names a service for this store; if Plex is running it will overwrite the restored settings when it stops. Stop Plex before restoring.")
	}
	code := restoreSnapshot(ctx, env, b, st, m, snap, func(id string) string { return restoreCommand(*file, *rootFlag, id) })
	if svc != nil && wasUp {
		fmt.Fprintf(env.stdout, "Starting %s…\n", svc.Resource.Name)
		if err := moveService(ctx, svc, true); err != nil {
			fmt.Fprintf(env.stderr, "Error: %s\n", err)
			return exitIncomplete
		}
	}
	return code
}

// restoreSnapshot backs up what the store holds now, then puts the snapshot back.
func restoreSnapshot(ctx context.Context, env *cliEnv, b *executor.Backups, st stores.Store, m *executor.Manifest, snap stores.Snapshot, undo func(id string) string) int {
	preID := ""
	if current, err := st.Snapshot(ctx); err == nil {
		pre, err := b.Save(m.Resource, m.Kind, m.Target, "restore "+m.ID, version, current)
		if err != nil {
			return fail(env, fmt.Errorf("back up the current state before the restore: %w", err))
		}
		preID = pre.ID
	}
	if err := st.Restore(ctx, snap); err != nil {
		return fail(env, fmt.Errorf("restore %s: %w; the store is as it was", m.Target, err))
	}
	fmt.Fprintf(env.stdout, "Restored %s from backup %s (owner %s, mode %s).\n", m.Target, m.ID, fileutil.DescribeOwner(m.UID, m.GID), m.Mode)
	if preID != "" {
		fmt.Fprintf(env.stdout, "What it held before the restore is backup %s (%s undoes this).\n", preID, undo(preID))
	}
	return exitOK
}

// guardingService binds the plan file's service for a resource, if the plan is there
// and names one; restore works without a plan too.
func guardingService(env *cliEnv, file, rootFlag, resource string) *host.Service {
	p, err := plan.Load(file)
	if err != nil {
		return nil
	}
	root, _ := checkRoot(rootFlag)
	h, err := host.Open(p, hostOptions(env, p, root))
	if err != nil {
		return nil
	}
	if s := h.Store(resource); s != nil {
		return s.Service
	}
	return nil
}

func moveService(ctx context.Context, svc *host.Service, up bool) error {
	act := svc.Service.Stop
	if up {
		act = svc.Service.Start
	}
	if err := act(ctx); err != nil {
		return fmt.Errorf("%s: %w", svc.Resource.Name, err)
	}
	return service.WaitFor(ctx, svc.Service, up, svc.Timeout(), nil)
}
