package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/service"
)

// openStore returns the store acting for r, its own kind, (for a discovered kind such as
// plex_preferences) how it was found, and its file on this machine ("" for a key or a
// domain). The table of kinds (plan.KindOf) says how each kind opens.
func openStore(p *plan.Plan, r *plan.Resource, opts Options) (stores.Store, string, string, string, error) {
	kind := r.Kind
	path, err := p.HostPath(opts.Root, r.Path)
	if err != nil {
		return nil, "", "", "", fmt.Errorf("path: %w", err)
	}
	t := plan.Target{Path: path, Element: r.Element, Domain: r.Domain, Key: r.Key, User: r.User, Root: opts.Root, GOOS: opts.GOOS}
	found := ""
	if plan.KindOf(kind).Discovered {
		s, looked, err := discover.FindSettings(discover.Options{Root: opts.Root, GOOS: opts.GOOS, Getenv: opts.Getenv, Path: r.Path})
		if err != nil {
			return nil, "", "", "", withLooked(err, looked)
		}
		kind, found = s.Kind, s.How
		t = plan.Target{Path: s.Path, Domain: s.Domain, Key: s.Key, User: s.User, Root: opts.Root, GOOS: opts.GOOS}
	}
	k := plan.KindOf(kind)
	if k == nil || k.Open == nil {
		return nil, "", "", "", fmt.Errorf("kind %s is not supported by this build of plexform", kind)
	}
	if err := checkDir(fileutil.RootAt(opts.Root), t.Path); err != nil {
		return nil, "", "", "", err
	}
	st, err := k.Open(t)
	return st, kind, found, t.Path, err
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
func openService(p *plan.Plan, r *plan.Resource, opts Options) (stores.Service, string, error) {
	dir, err := p.HostPath(opts.Root, r.Dir)
	if err != nil {
		return nil, "", fmt.Errorf("dir: %w", err)
	}
	cfg := service.Config{Manager: r.Manager, Unit: r.Unit, Dir: dir,
		Start: r.Start, Stop: r.Stop, Status: r.Status, App: r.App, Container: r.Container}
	if opts.Root != "" && cfg.Dir != "" {
		// s6's tools follow symlinks on this machine: hand them the directory the tree's
		// own host would reach, resolved inside the root.
		dir, err := fileutil.RootAt(opts.Root).Resolve(cfg.Dir)
		if err != nil {
			return nil, "", fmt.Errorf("dir: %w", err)
		}
		cfg.Dir = dir
	}
	found := ""
	if plan.KindOf(r.Kind).Discovered {
		s, looked, err := discover.FindService(discover.Options{Root: opts.Root, GOOS: opts.GOOS, Getenv: opts.Getenv})
		var none *discover.NoServiceError
		if errors.As(err, &none) {
			// The settings can still be diffed: plan shows them and says how to name
			// the service; apply refuses, as the state cannot be read.
			return noService{none}, "", nil
		}
		if err != nil {
			return nil, "", withLooked(err, looked)
		}
		cfg, found = s.Config, s.How
	}
	// The service's timeout is also the grace period a container gets before its engine
	// kills it.
	cfg.Timeout = (&Service{Resource: r}).Timeout()
	if cfg.Manager == "docker" && cfg.DockerHost == "" {
		cfg.DockerHost = service.DockerHost(opts.Getenv)
	}
	svc, err := service.New(cfg)
	if err != nil {
		return nil, "", err
	}
	// A service that can tell at once whether it exists (a container) does so now, so
	// a wrong name stops the plan before anything is stopped.
	if c, ok := svc.(interface{ Check(context.Context) error }); ok && (opts.Root == "" || plan.DrivenUnderRoot(r.Kind, cfg.Manager)) {
		if err := c.Check(context.Background()); err != nil {
			return nil, "", err
		}
	}
	if opts.Root != "" && !plan.DrivenUnderRoot(r.Kind, cfg.Manager) {
		svc = elsewhere{svc, elsewhereError(opts)}
	}
	return svc, found, nil
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

// noService stands for a plex_service that found no way to run Plex: its state reads as
// an error that says how to name the service, so plan warns and apply refuses.
type noService struct{ err *discover.NoServiceError }

func (n noService) Describe() string { return "no service manager found" }
func (n noService) Running(context.Context) (bool, error) {
	return false, errors.New("no way to run Plex Media Server found (plexform doctor lists where it looked). " + n.err.Hint())
}
func (n noService) Stop(ctx context.Context) error  { _, err := n.Running(ctx); return err }
func (n noService) Start(ctx context.Context) error { _, err := n.Running(ctx); return err }

// withLooked adds the places discovery looked at to its error, so a user sees why
// nothing (or too much) was found.
func withLooked(err error, looked []discover.Looked) error {
	if len(looked) == 0 || strings.Contains(err.Error(), "Looked at:") {
		return err
	}
	lines := make([]string, len(looked))
	for i, l := range looked {
		lines[i] = l.Where + ": " + l.What
	}
	return fmt.Errorf("%w\nLooked at:\n  %s", err, strings.Join(lines, "\n  "))
}

// StoreAt opens the store a backup manifest names (its kind and target), for restore.
// Restore puts back whole snapshots, so the element or other selectors do not matter.
func StoreAt(kind, target string) (stores.Store, error) {
	if k := plan.KindOf(kind); k != nil && k.At != nil {
		return k.At(target)
	}
	return nil, fmt.Errorf("this build of plexform cannot restore a %s backup of %s on this OS", kind, target)
}
