package host

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores"
)

// Steps is one apply as the user was shown it: the diff that was rendered, with every
// store, service, claim and check it acts on already bound, so the executor does exactly
// this and looks nothing up by name.
type Steps struct {
	// Changes is what was rendered. Recheck updates it in place when a store moved.
	Changes *plan.Changes
	// Stores holds every store of the plan, in plan order; Change says what happens to it.
	Stores []*StoreStep
	// Services holds every service of the plan, in plan order, with its planned move.
	Services []*ServiceStep
	// Claims are the plex_claim resources this apply performs.
	Claims []*signin.Claim
	// Checks run after the start; a failure rolls the apply back.
	Checks []Check

	host  *Host
	index map[*Store]int // position of a store's change in Changes.Resources
}

// StoreStep is one store with its change and the bytes that change was computed from.
type StoreStep struct {
	*Store
	Change *plan.ResourceChange
	// Base is what the store held when Change was computed; set only for stores that
	// stage their writes (stores.Stager), whose backup is exactly these bytes.
	Base stores.Snapshot
}

// Stager returns the store's staging side, when it has one.
func (s *StoreStep) Stager() (stores.Stager, bool) {
	sg, ok := s.Store.Store.(stores.Stager)
	return sg, ok
}

// ServiceStep is one service with its planned move.
type ServiceStep struct {
	*Service
	Change *plan.ServiceChange
}

// Stops reports whether the plan stops this service (for the writes, or for good).
func (s *ServiceStep) Stops() bool {
	return s.Change.Action == plan.Restart || s.Change.Action == plan.Stop
}

// Check is one verify check with its paths resolved on this host.
type Check struct {
	HTTP *plan.HTTPCheck
	Log  *plan.LogCheck
	// LogPath is Log.Path on this host (inside -root).
	LogPath string
}

// Steps reads the host once and binds what an apply of this plan would do.
func (h *Host) Steps(ctx context.Context) (*Steps, error) {
	ch, bases, err := h.diff(ctx)
	if err != nil {
		return nil, err
	}
	st := &Steps{Changes: ch, host: h, index: map[*Store]int{}}
	for i, s := range h.Stores {
		st.Stores = append(st.Stores, &StoreStep{Store: s, Change: ch.Resources[i], Base: bases[s]})
		st.index[s] = i
	}
	for i, svc := range h.Services {
		st.Services = append(st.Services, &ServiceStep{Service: svc, Change: ch.Services[i]})
	}
	for _, c := range h.Claims {
		if c.Needed() {
			st.Claims = append(st.Claims, c)
		}
	}
	// A re-link asks who the store named before the reset as its change stands then:
	// after the stop, the server may have rewritten it.
	for _, s := range h.Signins {
		for _, step := range st.Stores {
			if step.signin == s {
				s.PreviousOwner = func() signin.Owner { return signin.PreviousOwnerIn(step.Change) }
			}
		}
	}
	for _, v := range h.Plan.Verify {
		c := Check{HTTP: v.HTTP, Log: v.Log}
		if v.Log != nil {
			path, err := h.Plan.HostPath(h.Options.Root, v.Log.Path)
			if err != nil {
				return nil, fmt.Errorf("verify log: %w", err)
			}
			c.LogPath = path
		}
		st.Checks = append(st.Checks, c)
	}
	return st, nil
}

// Recheck reads the stores again after the services stopped: PMS writes its settings on
// shutdown. A store that stages its writes only compares bytes with its base; any other
// store is read and diffed again. It returns the stores whose content moved, with their
// Change and Base updated (and Changes with them).
func (st *Steps) Recheck(ctx context.Context) ([]*StoreStep, error) {
	var errs *multierror.Error
	var moved []*StoreStep
	for _, s := range st.Stores {
		if sg, ok := s.Stager(); ok {
			same, err := sg.Unchanged(ctx, s.Base)
			if err != nil {
				errs = multierror.Append(errs, fmt.Errorf("%s: %w", s.Resource.Name, err))
				continue
			}
			if same {
				continue
			}
		}
		rc, base, err := s.observe(ctx)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		if _, ok := s.Stager(); !ok && sameValues(s.Change, rc) {
			continue
		}
		s.Change, s.Base = rc, base
		st.Changes.Resources[st.index[s.Store]] = rc
		moved = append(moved, s)
	}
	if err := plan.Gather(errs); err != nil {
		return nil, err
	}
	if len(moved) > 0 {
		used, err := st.host.loadUsedClaims()
		if err != nil {
			return nil, err
		}
		for _, c := range st.host.Claims {
			c.Settle(st.Changes, used) // as decided: a re-read decides nothing again
		}
	}
	return moved, nil
}

// ResolveDeferred fetches values known only during apply (the claim exchange's token)
// and diffs again the stores they go to. It returns those stores.
func (st *Steps) ResolveDeferred(ctx context.Context) ([]*StoreStep, error) {
	resolved, err := st.host.ResolveDeferred(ctx)
	if err != nil || !resolved {
		return nil, err
	}
	var again []*StoreStep
	for _, s := range st.Stores {
		if !hasDeferred(s.Change) {
			continue
		}
		rc, base, err := s.observe(ctx)
		if err != nil {
			return nil, err
		}
		s.Change, s.Base = rc, base
		st.Changes.Resources[st.index[s.Store]] = rc
		again = append(again, s)
	}
	return again, nil
}

// HasDeferred reports whether a store's change waits for a value known only during apply.
func (s *StoreStep) HasDeferred() bool { return hasDeferred(s.Change) }

func hasDeferred(rc *plan.ResourceChange) bool {
	for _, v := range rc.Values {
		if v.Deferred {
			return true
		}
	}
	return false
}

// sameValues reports whether two diffs of one store plan the same value actions and values.
func sameValues(a, b *plan.ResourceChange) bool {
	if len(a.Values) != len(b.Values) {
		return false
	}
	for i := range a.Values {
		va, vb := a.Values[i], b.Values[i]
		if va.Action != vb.Action || va.StoreName != vb.StoreName || !sameValue(va.Before, vb.Before) || !sameValue(va.After, vb.After) {
			return false
		}
	}
	return true
}

func sameValue(a, b *stores.Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// RecordClaims remembers the claim tokens this apply spent.
func (st *Steps) RecordClaims() error { return signin.RecordClaims(st.host.Options.State, st.Claims) }

// Plan is the bound plan.
func (st *Steps) Plan() *plan.Plan { return st.host.Plan }
