// Package host binds a plan to the machine it runs on: each selected resource gets the
// store or service that acts for it, and its desired values, read and resolved before
// anything is stopped or written.
package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/plist"
	"github.com/plexform/plexform/stores/registry"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/xmlattrs"
)

// Options say how to bind a plan.
type Options struct {
	// Root, when set, holds every absolute host path of the plan (-root).
	Root string
	// GOOS selects resources by their when: clause; runtime.GOOS normally.
	GOOS string
	// Getenv reads environment variables for {env: VAR} values; os.LookupEnv normally.
	Getenv func(string) (string, bool)
}

// Host is a plan bound to this machine.
type Host struct {
	Plan     *plan.Plan
	Options  Options
	Stores   []*Store
	Services []*Service
}

// Store is one store resource with what it wants.
type Store struct {
	Resource *plan.Resource
	Store    stores.Store
	Want     []plan.Desired
	Service  *Service // nil when no service guards it
}

// Service is one service resource.
type Service struct {
	Resource *plan.Resource
	Service  stores.Service
}

// DefaultTimeout bounds a service's stop or start when the plan gives no timeout.
const DefaultTimeout = 60 * time.Second

// Timeout is the service's stop/start bound.
func (s *Service) Timeout() time.Duration {
	if s.Resource.Timeout > 0 {
		return s.Resource.Timeout
	}
	return DefaultTimeout
}

// WantRunning reports the service's desired state.
func (s *Service) WantRunning() bool { return s.Resource.State != "stopped" }

// Open binds the plan's resources that apply to opts.GOOS. Every problem is reported,
// not just the first: a missing variable, a kind this OS cannot run, a bad key.
func Open(p *plan.Plan, opts Options) (*Host, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	h := &Host{Plan: p, Options: opts}
	var errs *multierror.Error
	byName := map[string]*Service{}
	for _, r := range p.Selected(opts.GOOS) {
		if !r.IsService() {
			continue
		}
		svc, err := openService(p, r, opts)
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: %w", r.Name, err))
			continue
		}
		s := &Service{Resource: r, Service: svc}
		byName[r.Name] = s
		h.Services = append(h.Services, s)
	}
	for _, r := range p.Selected(opts.GOOS) {
		if !r.IsStore() {
			continue
		}
		st, err := openStore(p, r, opts)
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: %w", r.Name, err))
			continue
		}
		want, err := p.Desire(r, opts.Root, opts.Getenv)
		if err == nil {
			err = canonicalize(r, want)
		}
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		s := &Store{Resource: r, Store: st, Want: want}
		if r.Service != "" {
			if s.Service = byName[r.Service]; s.Service == nil {
				errs = multierror.Append(errs, fmt.Errorf("%s: its service %q does not apply to %s (check its when:)", r.Name, r.Service, opts.GOOS))
				continue
			}
		}
		h.Stores = append(h.Stores, s)
	}
	return h, plan.Gather(errs)
}

func openStore(p *plan.Plan, r *plan.Resource, opts Options) (stores.Store, error) {
	switch r.Kind {
	case plan.KindXMLAttributes:
		return xmlattrs.New(p.HostPath(opts.Root, r.Path), r.Element), nil
	case plan.KindPlistKeys:
		if r.Domain == "" {
			return plist.NewFile(p.HostPath(opts.Root, r.Path)), nil
		}
		if !plist.DomainSupported() || opts.Root != "" {
			return nil, fmt.Errorf("domain: works only on macOS itself (through the defaults command), not on %s or under -root; use path: with the plist file, e.g. ~/Library/Preferences/%s.plist", opts.GOOS, r.Domain)
		}
		return systemDomain(r.Domain)
	case plan.KindRegistryValues:
		return registry.New(r.Key, r.User)
	}
	return nil, fmt.Errorf("kind %s is not supported by this build of plexform", r.Kind)
}

func openService(p *plan.Plan, r *plan.Resource, opts Options) (stores.Service, error) {
	return service.New(service.Config{
		Manager: r.Manager,
		Unit:    r.Unit,
		Dir:     p.HostPath(opts.Root, r.Dir),
		Start:   r.Start,
		Stop:    r.Stop,
		Status:  r.Status,
		App:     r.App,
	})
}

// Diff reads every store and service and compares them with what the plan wants.
func (h *Host) Diff(ctx context.Context) (*plan.Changes, error) {
	return h.diff(ctx, true)
}

// DiffStores reads the stores again but not the services: after the stop, while Plex is
// down, a status call per service would only add to the downtime.
func (h *Host) DiffStores(ctx context.Context) (*plan.Changes, error) {
	return h.diff(ctx, false)
}

func (h *Host) diff(ctx context.Context, withServices bool) (*plan.Changes, error) {
	var errs *multierror.Error
	ch := &plan.Changes{}
	guards := map[*Service][]string{}
	for _, s := range h.Stores {
		rc, err := s.Diff(ctx)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		ch.Resources = append(ch.Resources, rc)
		if s.Service != nil && rc.HasChanges() {
			guards[s.Service] = append(guards[s.Service], s.Resource.Name)
		}
	}
	for _, svc := range h.Services {
		if !withServices {
			break
		}
		running, err := svc.Running(ctx)
		if err != nil {
			running = true
		}
		sc := plan.DiffService(svc.Resource.Name, svc.Service.Describe(), running, svc.Resource.State, guards[svc])
		if err != nil {
			sc.StateError = err.Error()
		}
		ch.Services = append(ch.Services, sc)
	}
	if err := plan.Gather(errs); err != nil {
		return nil, err
	}
	return ch, nil
}

// Running reads a service's state. A service between states counts as running: it
// may still rewrite its settings, so it must be (and will be) stopped before a write.
func (s *Service) Running(ctx context.Context) (bool, error) {
	running, err := s.Service.Running(ctx)
	if errors.Is(err, service.ErrTransitioning) {
		return true, nil
	}
	return running, err
}

// ServiceByName returns the bound service of a resource, or nil.
func (h *Host) ServiceByName(name string) *Service {
	for _, s := range h.Services {
		if s.Resource.Name == name {
			return s
		}
	}
	return nil
}

// Diff reads one store and compares it with what its resource wants.
func (s *Store) Diff(ctx context.Context) (*plan.ResourceChange, error) {
	st, err := s.Store.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Resource.Name, err)
	}
	return plan.Diff(s.Resource, s.Store.Target(), s.Want, st)
}

// Store returns the bound store of a resource, or nil.
func (h *Host) Store(name string) *Store {
	for _, s := range h.Stores {
		if s.Resource.Name == name {
			return s
		}
	}
	return nil
}

// canonicalize spells typed set: values as their store reads them back ("0x2A" as "42",
// "yes" as "true"), so an applied plan does not keep showing a change.
func canonicalize(r *plan.Resource, want []plan.Desired) error {
	var canonical func(stores.Value) (stores.Value, error)
	switch r.Kind {
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
			return fmt.Errorf("%s.set.%s: %w", r.Name, want[i].Name, err)
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
