package main

import (
	"os"

	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

// backupsOptions are the flags of `plexform backups`.
type backupsOptions struct {
	file     string
	rootFlag string
	dir      string
	asJSON   bool
}

func (o *backupsOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.file, "f", defaultPlanFile, "plan file whose backups.dir to list")
	fs.StringVar(&o.rootFlag, "root", "", "resolve every absolute host path inside `DIR`")
	fs.StringVar(&o.dir, "dir", "", "list this backups directory instead of the plan's")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
}

// run lists the backups kept for the plan's backups dir.
func (o *backupsOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	b, err := backupsDir(o.file, o.rootFlag, o.dir)
	if err != nil {
		return fail(env, err)
	}
	defer b.Close()
	list, err := b.List()
	if err != nil {
		return fail(env, err)
	}
	// A manifest that fails its checks is named, never listed as a backup.
	if err := views.NewBackups(views.KindFor(o.asJSON), streams(env)).List(b.Path, list, b.Problems()); err != nil {
		return fail(env, err)
	}
	return exitOK
}

// backupsDir finds the backups directory: -dir, else the plan file's, else the default.
// A missing plan file is fine here; a broken one is not.
func backupsDir(file, rootFlag, dir string) (*state.Dir, error) {
	root, err := checkRoot(rootFlag)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		return &state.Dir{Path: dir}, nil
	}
	if _, err := os.Stat(file); err != nil && file == defaultPlanFile {
		return state.Locate(nil, root)
	}
	p, err := loadPlan(file)
	if err != nil {
		return nil, err
	}
	return state.Locate(p, root)
}
