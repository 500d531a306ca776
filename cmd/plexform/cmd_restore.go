package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/views"
)

// restoreOptions are the flags of `plexform restore`.
type restoreOptions struct {
	file        string
	rootFlag    string
	dir         string
	targetFlag  string
	autoApprove bool
	lockWait    time.Duration
}

func (o *restoreOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.file, "f", defaultPlanFile, "plan file: its backups.dir, the store each resource resolves to, and the service to stop")
	fs.StringVar(&o.rootFlag, "root", "", "resolve every absolute host path inside `DIR`")
	fs.StringVar(&o.dir, "dir", "", "take the backup from this backups directory")
	fs.StringVar(&o.targetFlag, "target", "", "restore to this file or registry key instead of the plan's store (inside -root when given)")
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "restore without asking")
	fs.DurationVar(&o.lockWait, "lock-timeout", 0, "wait this long for another apply or restore to finish")
}

// run puts a backup back, atomically and with its owner and mode, through
// executor.Restore. A manifest is only data in a directory, so where the bytes go is
// never taken from it: they go to the store that a resource of the plan (-f) resolves
// to, under -root when given (so a copied tree is restored in the copy, and the tree
// the backup came from is not touched), or to a -target the user names. Either way
// the user confirms, as for apply.
func (o *restoreOptions) run(env *cliEnv, fs *cmdFlags, positional []string) int {
	if len(positional) != 1 {
		fs.Usage()
		return exitError
	}
	id := positional[0]
	fileGiven := false
	fs.Visit(func(f *flag.Flag) { fileGiven = fileGiven || f.Name == "f" })
	root, err := checkRoot(o.rootFlag)
	if err != nil {
		return failUnchanged(env, err)
	}
	b, err := backupsDir(o.file, o.rootFlag, o.dir)
	if err != nil {
		return failUnchanged(env, err)
	}
	defer b.Close()
	m, _, err := b.Load(id)
	if err != nil {
		return failUnchanged(env, err)
	}
	dest, err := restoreDestination(env, m, o.file, fileGiven, root, o.targetFlag)
	if err != nil {
		return failUnchanged(env, err)
	}
	if dest.svc == nil {
		warnf(env, "no plan names a service for this store; if Plex is running it will overwrite the restored settings when it stops. Stop Plex before restoring.\n")
	}
	fmt.Fprintf(env.stdout, "Backup %s of %s, taken %s from %s (%d bytes, owner %s, mode %s)\nwill be written to %s.\n",
		m.ID, m.Resource, m.Time.Local().Format("2006-01-02 15:04:05"), redact.Printable(m.Target), m.Size, fileutil.RootAt(root).DescribeOwner(m.UID, m.GID), m.Mode, redact.Printable(dest.store.Target()))
	if dest.store.Target() != m.Target && root == "" {
		fmt.Fprintf(env.stdout, "Note: that is not where the backup was taken from.\n")
	}
	ctx, settle, stop := interruptibleRun(env)
	defer stop()
	if !o.autoApprove {
		if code, ok := askYes(ctx, env, true, "restore", "Do you want to restore this backup?", "pass -auto-approve"); !ok {
			return code
		}
	}
	res, err := executor.Restore(ctx, dest.store, dest.svc, id, executor.Options{Backups: b, Keep: dest.keep, LockWait: o.lockWait, Version: version, Root: root,
		Observer: &views.HumanObserver{W: env.stdout, Terminal: isTerminal(env.stdout)}})
	settle()
	if err != nil {
		return reportFailure(views.NewApply(views.KindHuman, streams(env)), "restore", err, b.Path)
	}
	if res.Before != nil {
		undo := restoreCommand(o.file, o.rootFlag, res.Before.ID)
		if o.targetFlag != "" {
			undo = strings.TrimSuffix(undo, res.Before.ID) + "-target " + shellQuote(o.targetFlag) + " " + res.Before.ID
		}
		fmt.Fprintf(env.stdout, "What it held before the restore is backup %s (%s undoes this).\n", res.Before.ID, undo)
	}
	return exitOK
}

// destination is where a restore writes, and what guards it.
type destination struct {
	store stores.Store
	svc   *host.Service
	keep  int
}

// restoreDestination finds where a backup may be written: -target when the user names
// one, else the store the plan binds for the backup's resource. A plan that does not
// bind it (or no plan) means no destination: the manifest's own path is not enough.
func restoreDestination(env *cliEnv, m *state.Manifest, file string, fileGiven bool, root, target string) (*destination, error) {
	var h *host.Host
	keep := plan.DefaultKeep
	p, perr := loadPlan(file)
	if perr != nil && (fileGiven || !errors.Is(perr, os.ErrNotExist)) {
		return nil, perr
	}
	if perr == nil {
		keep = p.Backups.Keep
		opts, err := hostOptions(env, p, root)
		if err != nil {
			return nil, err
		}
		if h, err = host.Open(p, opts); err != nil {
			return nil, err
		}
	}
	var bound *host.Store
	if h != nil {
		bound = h.Store(m.Resource)
	}
	if target != "" {
		path := target
		if root != "" && filepath.IsAbs(target) && m.Kind != plan.KindRegistryValues {
			path = plan.RootedPath(root, target)
		}
		st, err := host.StoreAt(m.Kind, path)
		if err != nil {
			return nil, err
		}
		d := &destination{store: st, keep: keep}
		if bound != nil && bound.Store.Target() == st.Target() {
			d.svc = bound.Service
		}
		return d, nil
	}
	where := "no plan file (" + file + ")"
	if h != nil {
		where = file
	}
	if bound == nil {
		return nil, fmt.Errorf("backup %s is of resource %q (taken from %s), and %s binds no store of that name here; "+
			"plexform writes a backup only to a store the plan names or to a target you name: plexform restore -target PATH %s",
			m.ID, m.Resource, m.Target, where, m.ID)
	}
	if bound.Kind != m.Kind {
		return nil, fmt.Errorf("backup %s is a %s backup, but %s in %s is a %s store here; name the target with -target PATH",
			m.ID, m.Kind, m.Resource, file, bound.Kind)
	}
	return &destination{store: bound.Store, svc: bound.Service, keep: keep}, nil
}
