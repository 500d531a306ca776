package host

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/plexform/plexform/internal/discover"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/plist"
	"github.com/plexform/plexform/stores/registry"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/xmlattrs"
)

// storeSpec says which store to open: a resource's own fields, or what discovery found.
type storeSpec struct {
	kind, path, element, domain, key, user string
}

// openStore returns the store acting for r, its own kind, and (for plex_preferences)
// how it was found.
func openStore(p *plan.Plan, r *plan.Resource, opts Options) (stores.Store, string, string, error) {
	spec := storeSpec{kind: r.Kind, path: p.HostPath(opts.Root, r.Path), element: r.Element, domain: r.Domain, key: r.Key, user: r.User}
	found := ""
	if r.Kind == plan.KindPlexPreferences {
		s, looked, err := discover.FindSettings(discover.Options{Root: opts.Root, GOOS: opts.GOOS, Getenv: opts.Getenv, Path: r.Path})
		if err != nil {
			return nil, "", "", withLooked(err, looked)
		}
		spec, found = storeSpec{kind: s.Kind, path: s.Path, domain: s.Domain, key: s.Key, user: s.User}, s.How
	}
	st, err := spec.open(opts)
	return st, spec.kind, found, err
}

func (spec storeSpec) open(opts Options) (stores.Store, error) {
	switch spec.kind {
	case plan.KindXMLAttributes:
		return xmlattrs.New(spec.path, spec.element), nil
	case plan.KindPlistKeys:
		if spec.domain == "" {
			return plist.NewFile(spec.path), nil
		}
		if !plist.DomainSupported() || opts.Root != "" {
			return nil, fmt.Errorf("domain: works only on macOS itself (through the defaults command), not on %s or under -root; use path: with the plist file, e.g. ~/Library/Preferences/%s.plist", opts.GOOS, spec.domain)
		}
		return systemDomain(spec.domain)
	case plan.KindRegistryValues:
		return registry.New(spec.key, spec.user)
	}
	return nil, fmt.Errorf("kind %s is not supported by this build of plexform", spec.kind)
}

// openService returns the service acting for r and (for plex_service) how it was found.
func openService(p *plan.Plan, r *plan.Resource, opts Options) (stores.Service, string, error) {
	cfg := service.Config{Manager: r.Manager, Unit: r.Unit, Dir: p.HostPath(opts.Root, r.Dir),
		Start: r.Start, Stop: r.Stop, Status: r.Status, App: r.App, Container: r.Container}
	found := ""
	if r.Kind == plan.KindPlexService {
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
	if c, ok := svc.(interface{ Check(context.Context) error }); ok && (opts.Root == "" || drivenUnderRoot(r.Kind, cfg.Manager)) {
		if err := c.Check(context.Background()); err != nil {
			return nil, "", err
		}
	}
	if opts.Root != "" && !drivenUnderRoot(r.Kind, cfg.Manager) {
		svc = elsewhere{svc}
	}
	return svc, found, nil
}

// drivenUnderRoot reports whether a service can be driven when the plan acts on a tree
// under -root (a mounted disk, a container volume). An s6 service directory lies inside
// the tree, and exec commands and a named container (on this machine's engine) are the
// plan's own; everything else (a systemd unit, the macOS app, a discovered synopkg...)
// would stop and start this machine's Plex, not the one the tree belongs to.
func drivenUnderRoot(kind, manager string) bool {
	return manager == "s6" || ((manager == "exec" || manager == "docker") && kind == plan.KindService)
}

// elsewhere is a service of the host under -root, which this machine cannot drive:
// its state reads as an error, so plan warns and apply refuses.
type elsewhere struct{ stores.Service }

var errElsewhere = errors.New("under -root this service belongs to the host of that tree, not to this machine, so plexform neither reads nor moves it; " +
	"to edit the files with no service stopped, drop service: from the stores; to drive it, name a service with manager: exec (your own commands) or s6 (a directory inside the root)")

func (e elsewhere) Running(context.Context) (bool, error) { return false, errElsewhere }
func (e elsewhere) Stop(context.Context) error            { return errElsewhere }
func (e elsewhere) Start(context.Context) error           { return errElsewhere }

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

// canonicalize spells typed set: values as their store reads them back ("0x2A" as "42",
// "yes" as "true"), so an applied plan does not keep showing a change.
func canonicalize(kind string, want []plan.Desired) error {
	var canonical func(stores.Value) (stores.Value, error)
	switch kind {
	case plan.KindPlistKeys:
		canonical = plist.Canonical
	case plan.KindRegistryValues:
		canonical = registry.Canonical
	default:
		return nil
	}
	for i := range want {
		if want[i].Absent {
			continue
		}
		v, err := canonical(want[i].Value)
		if err != nil {
			return fmt.Errorf("set.%s: %w", want[i].Name, err)
		}
		want[i].Value = v
	}
	return nil
}

// StoreAt opens the store a backup manifest names (its kind and target), for restore.
// Restore puts back whole snapshots, so the element or other selectors do not matter.
func StoreAt(kind, target string) (stores.Store, error) {
	switch kind {
	case plan.KindXMLAttributes:
		return xmlattrs.New(target, ""), nil
	case plan.KindPlistKeys:
		if filepath.IsAbs(target) {
			return plist.NewFile(target), nil
		}
		if domain, ok := strings.CutPrefix(target, "defaults domain "); ok && plist.DomainSupported() {
			return systemDomain(domain)
		}
	case plan.KindRegistryValues:
		return registry.New(target, "")
	}
	return nil, fmt.Errorf("this build of plexform cannot restore a %s backup of %s on this OS", kind, target)
}
