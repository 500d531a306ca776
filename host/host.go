// Package host binds a plan to the machine it runs on: each selected resource gets the
// store or service that acts for it, and its desired values, read and resolved before
// anything is stopped or written.
package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/internal/childenv"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
)

// Options say how to bind a plan.
type Options struct {
	// Root, when set, holds every absolute host path of the plan (-root).
	Root string
	// GOOS selects resources by their when: clause; runtime.GOOS normally.
	GOOS string
	// Getenv reads environment variables for {env: VAR} values; os.LookupEnv normally.
	Getenv func(string) (string, bool)
	// State keeps what plexform must remember between applies (which claim tokens were
	// spent) in the trusted backups dir: state.Dir. nil: nothing is remembered.
	State StateFiles
	// IdentityURL is where this machine's Plex Media Server answers /identity, asked
	// before a store no service guards is changed (running.go); "" means PMS's own
	// http://127.0.0.1:32400.
	IdentityURL string
	// MadeBy, for a plan a command made in memory (reset), says how its user writes it
	// to a file and applies that; nil for a plan file. Advice to change the plan then
	// says how to write it out first (PlanEdit).
	MadeBy *MadeBy
}

// MadeBy is how a plan made in memory is written to a file and applied, as command
// lines ready to run but for FILE.
type MadeBy struct {
	Command string // "reset"
	Write   string // "plexform reset -root 'DIR' -plan-out FILE"
	Apply   string // "plexform apply -root 'DIR' -f FILE"
}

// PlanEdit is advice to change the plan, edit (what to change, in a plan file's words),
// as its user can follow it: as is for a plan file; for a plan made in memory, how to
// write it out, edit it there and apply it.
func (o Options) PlanEdit(edit string) string {
	if o.MadeBy == nil {
		return edit
	}
	return fmt.Sprintf("`%s` writes the plan %s made to FILE; there, %s; then run `%s`", o.MadeBy.Write, o.MadeBy.Command, edit, o.MadeBy.Apply)
}

// StateFiles are the small files plexform keeps beside its backups (the spent claim
// tokens are plex_claim's, so the interface is defined with it).
type StateFiles = signin.StateFiles

// Host is a plan bound to this machine.
type Host struct {
	Plan     *plan.Plan
	Options  Options
	Stores   []*Store
	Services []*Service
	Claims   []*signin.Claim  // plex_claim resources (claims.go binds them)
	Signins  []*signin.Signin // plex_signin resources (signin.go binds them)
}

// Store is one store resource with what it wants.
type Store struct {
	Resource *plan.Resource
	Store    stores.Store
	// Kind is the store's own kind: the resource's, or what plex_preferences found.
	Kind    string
	Found   string // how plex_preferences found it
	Want    []plan.Desired
	Service *Service // nil when no service guards it
	// signin is the plex_signin keeping this store signed in (signin.go), or nil;
	// stored, what the store held of the sign-in at its last read, for its decision.
	signin *signin.Signin
	stored signin.Stored
	// file is the store's file on this machine (under -root), "" for a key or domain;
	// machineID the ProcessedMachineIdentifier it held at the last read (running.go).
	file, machineID string
}

// Service is one service resource.
type Service struct {
	Resource *plan.Resource
	Service  stores.Service
	Found    string   // how plex_service found it
	guards   []string // the stores it guards
}

// DefaultTimeout bounds a service's stop or start when the plan gives no timeout.
const DefaultTimeout = plan.DefaultServiceTimeout

// Timeout is the service's stop/start bound.
func (s *Service) Timeout() time.Duration {
	if s.Resource.Timeout > 0 {
		return s.Resource.Timeout
	}
	return DefaultTimeout
}

// WantRunning reports the service's desired state.
func (s *Service) WantRunning() bool { return s.Resource.State != "stopped" }

// secretEnv reads a variable a plan names as the source of a value ({env: NAME}): such a
// value may be a secret, so the variable is kept out of every command plexform runs.
func (h *Host) secretEnv(name string) (string, bool) {
	childenv.Hide(name)
	return h.Options.Getenv(name)
}

// Open binds the plan's resources that apply to opts.GOOS. Every problem is reported,
// not just the first: a missing variable, a kind this OS cannot run, a bad key.
func Open(p *plan.Plan, opts Options) (*Host, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	h := &Host{Plan: p, Options: opts}
	var errs *multierror.Error
	// at puts a resource's binding error at its place in the plan file.
	at := func(r *plan.Resource, err error) error {
		return &plan.Error{File: p.File, Pos: r.Pos, Msg: r.Name + ": " + err.Error(), Err: err}
	}
	byName := map[string]*Service{}
	failed := map[string]bool{} // services that could not be bound: their stores say nothing more
	for _, r := range p.Selected(opts.GOOS) {
		if !r.IsService() {
			continue
		}
		svc, found, err := openService(p, r, opts)
		if err != nil {
			errs = multierror.Append(errs, at(r, err))
			failed[r.Name] = true
			continue
		}
		s := &Service{Resource: r, Service: svc, Found: found}
		byName[r.Name] = s
		h.Services = append(h.Services, s)
	}
	for _, r := range p.Selected(opts.GOOS) {
		if !r.IsStore() {
			continue
		}
		o, err := openStore(p, r, opts)
		if err != nil {
			errs = multierror.Append(errs, at(r, err))
			continue
		}
		want, err := p.Desire(r, opts.Root, h.secretEnv)
		if err != nil {
			errs = multierror.Append(errs, err) // placed in the file already
			continue
		}
		if err := plan.Canonicalize(o.Kind, want); err != nil {
			errs = multierror.Append(errs, at(r, err))
			continue
		}
		s := &Store{Resource: r, Store: o.Store, Kind: o.Kind, Found: o.Found, Want: want, file: o.File}
		if r.Service != "" {
			if s.Service = byName[r.Service]; s.Service == nil {
				if !failed[r.Service] {
					errs = multierror.Append(errs, at(r, fmt.Errorf("its service %q does not apply to %s (check its when:)", r.Service, opts.GOOS)))
				}
				continue
			}
			s.Service.guards = append(s.Service.guards, r.Name)
		}
		h.Stores = append(h.Stores, s)
	}
	for _, r := range p.Selected(opts.GOOS) {
		if r.Kind != plan.KindPlexClaim {
			continue
		}
		if failed[r.Service] {
			continue
		}
		c, err := h.openClaim(r, byName)
		if err != nil {
			errs = multierror.Append(errs, at(r, err))
			continue
		}
		h.Claims = append(h.Claims, c)
	}
	for _, err := range h.openSignins(byName, failed, at) {
		errs = multierror.Append(errs, err)
	}
	return h, plan.Gather(errs)
}

// Diff reads every store and service and compares them with what the plan wants.
func (h *Host) Diff(ctx context.Context) (*plan.Changes, error) {
	ch, _, err := h.diff(ctx)
	return ch, err
}

// diff is the observe and settle phases: it reads every store once, decides every
// repair (settle), then reads the services. bases holds, for each
// store that can stage its writes, the bytes its change was computed from.
func (h *Host) diff(ctx context.Context) (*plan.Changes, map[*Store]stores.Snapshot, error) {
	var errs *multierror.Error
	ch := &plan.Changes{}
	bases := map[*Store]stores.Snapshot{}
	for _, r := range h.Plan.Resources {
		if !r.SelectedFor(h.Options.GOOS) {
			ch.Skipped = append(ch.Skipped, r.Name)
		}
	}
	// observe: every store is read once. A store a plex_signin keeps is diffed as if
	// its sign-in were reset; settle then keeps or drops that, by its decision.
	for _, s := range h.Stores {
		rc, base, err := s.read(ctx)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		if s.signin == nil {
			s.warnUnwritable(ctx, rc) // a kept store's, once its decision is made
		}
		ch.Resources = append(ch.Resources, rc)
		bases[s] = base
	}
	if err := plan.Gather(errs); err != nil {
		return nil, nil, err
	}
	// settle: the one decision about every repair (signin.go).
	if err := h.settle(ctx, ch); err != nil {
		return nil, nil, err
	}
	// Only now is it known which stores change: one that no service guards must not be
	// the file of a Plex that runs.
	probe := new(discover.Probe)
	for i, s := range h.Stores {
		if s.Service == nil && ch.Resources[i].HasChanges() {
			h.refuseWhileRunning(ctx, probe, s, ch.Resources[i])
		}
	}
	guards := map[*Service][]string{}
	for i, s := range h.Stores {
		if s.Service != nil && ch.Resources[i].HasChanges() {
			guards[s.Service] = append(guards[s.Service], s.Resource.Name)
		}
	}
	for _, svc := range h.Services {
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
	return ch, bases, nil
}

// Running reads a service's state, bounded by its timeout (a status command that hangs
// must not keep Plex down). A service between states counts as running: it may still
// rewrite its settings, so it must be (and will be) stopped before a write.
func (s *Service) Running(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout())
	defer cancel()
	running, err := s.Service.Running(ctx)
	if errors.Is(err, service.ErrTransitioning) {
		return true, nil
	}
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		return running, fmt.Errorf("its status did not answer within %s (the service's timeout:): %w", s.Timeout(), err)
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
	rc, _, err := s.observe(ctx)
	return rc, err
}

// observe reads one store once and diffs it, keeping the bytes the diff came from when
// the store can stage its writes (a zero Snapshot otherwise). A re-read keeps or drops
// the reset of the sign-in as its plex_signin decided.
func (s *Store) observe(ctx context.Context) (*plan.ResourceChange, stores.Snapshot, error) {
	rc, base, err := s.read(ctx)
	if err == nil {
		s.keepSignIn(rc)
	}
	return rc, base, err
}

// read is observe before any decision: the sign-in values a plex_signin would reset
// stay in the change, and what the store holds of the sign-in is kept for the decision.
func (s *Store) read(ctx context.Context) (*plan.ResourceChange, stores.Snapshot, error) {
	var st stores.State
	var base stores.Snapshot
	var err error
	if sg, ok := s.Store.(stores.Stager); ok {
		st, base, err = sg.Load(ctx)
	} else {
		st, err = s.Store.Read(ctx)
	}
	if err != nil {
		return nil, stores.Snapshot{}, fmt.Errorf("%s: %w", s.Resource.Name, whoCanRead(ctx, s.Store, err))
	}
	rc, err := plan.Diff(s.Resource, s.Store.Target(), s.Want, st)
	if err != nil {
		return nil, stores.Snapshot{}, err
	}
	rc.Kind, rc.Found = s.Kind, s.Found
	s.machineID = st.Values[processedMachineID].Text
	if s.signin != nil {
		s.stored = signin.StoredIn(st)
	}
	return rc, base, nil
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
