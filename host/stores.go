package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// openStore returns the store acting for r: its kind opens it (plan.Kind.Open, in
// package kinds), and a file whose directory is missing is refused here for every kind.
func openStore(p *plan.Plan, r *plan.Resource, opts Options) (plan.OpenedStore, error) {
	k := plan.KindOf(r.Kind)
	if k == nil || k.Open == nil {
		return plan.OpenedStore{}, fmt.Errorf("kind %s is not supported by this build of plexform", r.Kind)
	}
	o, err := k.Open(r, onHost(p, opts))
	if err != nil {
		return plan.OpenedStore{}, err
	}
	if err := checkDir(fileutil.RootAt(opts.Root), o.File); err != nil {
		return plan.OpenedStore{}, err
	}
	return o, nil
}

// onHost is where a kind opens a resource of p.
func onHost(p *plan.Plan, opts Options) plan.OnHost {
	return plan.OnHost{Plan: p, Root: opts.Root, GOOS: opts.GOOS, Getenv: opts.Getenv}
}

// checkDir refuses a store path whose directory does not exist: a missing file is
// "nothing to remove", but a missing directory is a typo in path: (or -root) that would
// otherwise plan "No changes" and pass a drift check. The directory is looked up as the
// store will be, inside -root (a link there means the tree's path).
func checkDir(root fileutil.Root, path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	typ, err := root.TypeOf(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the directory %s does not exist, so path: %s can name no file; check the path (and -root)", dir, path)
	case err == nil && !typ.IsDir():
		return fmt.Errorf("%s is not a directory, so path: %s can name no file; check the path (and -root)", dir, path)
	}
	return nil // another error (permission) is the read's to report
}

// whoCanRead gives a read refused for lack of permission the advice apply's
// writability check gives: who can, rather than a bare "permission denied".
func whoCanRead(ctx context.Context, st stores.Store, err error) error {
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	if who := st.CheckWritable(ctx); who != nil {
		return fmt.Errorf("cannot read %s: %w", st.Target(), who)
	}
	return fmt.Errorf("%w; run plexform as the user that owns it (the one Plex runs as) or as root (sudo)", err)
}

// warnUnwritable adds a warning to a store's diff with changes when this user could
// not write it, saying who can: plan shows it before apply would stop anything.
func (s *Store) warnUnwritable(ctx context.Context, rc *plan.ResourceChange) {
	if !rc.HasChanges() {
		return
	}
	if err := s.Store.CheckWritable(ctx); err != nil {
		rc.Warnings = append(rc.Warnings, fmt.Sprintf("%s: apply could not write %s as this user: %v", s.Resource.Name, rc.Target, err))
	}
}

// openService returns the service acting for r and (for plex_service) how it was found.
// The kind opens it (plan.Kind.OpenService); what -root allows is decided here.
func openService(p *plan.Plan, r *plan.Resource, opts Options) (stores.Service, string, error) {
	k := plan.KindOf(r.Kind)
	if k == nil || k.OpenService == nil {
		return nil, "", fmt.Errorf("kind %s is not supported by this build of plexform", r.Kind)
	}
	o, err := k.OpenService(r, onHost(p, opts))
	if err != nil {
		return nil, "", err
	}
	svc := o.Service
	if o.Manager == "" {
		// Discovery found no way to run Plex: the service says so when asked.
		return svc, o.Found, nil
	}
	// A service that can tell at once whether it exists (a container) does so now, so
	// a wrong name stops the plan before anything is stopped.
	if c, ok := svc.(interface{ Check(context.Context) error }); ok && (opts.Root == "" || plan.DrivenUnderRoot(r.Kind, o.Manager)) {
		if err := c.Check(context.Background()); err != nil {
			return nil, "", err
		}
	}
	if opts.Root != "" && !plan.DrivenUnderRoot(r.Kind, o.Manager) {
		svc = elsewhere{svc, elsewhereError(opts)}
	}
	return svc, o.Found, nil
}

// elsewhere is a service of the host under -root, which this machine cannot drive:
// its state reads as an error, so plan warns and apply refuses.
type elsewhere struct {
	stores.Service
	err error
}

// elsewhereError says why a service under -root is not driven, and what the user can
// change: in the plan file, or (for reset's plan) in the plan written out first.
func elsewhereError(opts Options) error {
	const edit = "to edit the files with no service stopped, drop service: from the stores; to drive it, name a service with manager: exec (your own commands) or s6 (a directory inside the root)"
	what := edit
	if opts.MadeBy != nil {
		what = "run plexform on that host itself; or " + opts.PlanEdit("drop service: from the stores to edit the files with no service stopped (stop Plex on that host first), "+
			"or name a service with manager: exec (your own commands) or s6 (a directory inside the root) to drive it")
	}
	return errors.New("under -root this service belongs to the host of that tree, not to this machine, so plexform neither reads nor moves it; " + what)
}

func (e elsewhere) Running(context.Context) (bool, error) { return false, e.err }
func (e elsewhere) Stop(context.Context) error            { return e.err }
func (e elsewhere) Start(context.Context) error           { return e.err }

// StoreAt opens the store a backup manifest names (its kind and target), for restore.
// Restore puts back whole snapshots, so the element or other selectors do not matter.
func StoreAt(kind, target string) (stores.Store, error) {
	if k := plan.KindOf(kind); k != nil && k.At != nil {
		return k.At(target)
	}
	if len(plan.KindNames()) == 0 {
		return nil, plan.ErrNoKinds
	}
	return nil, fmt.Errorf("this build of plexform cannot restore a %s backup of %s on this OS", kind, target)
}
