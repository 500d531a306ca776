package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/plexform/plexform/internal/childenv"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
)

// The runtime of plex_signin and plex_claim (their verdict, the one decision about a
// repair, the claim and the re-link) lives in plex/signin with the plex.tv and PMS
// clients. What is here binds them to this host's stores and services and applies their
// decisions to the store diffs.

// errSkip leaves out a plex_signin whose store could not be bound: that store's own
// error says why.
var errSkip = errors.New("skipped")

// openSignins binds the plan's plex_signin resources; each problem is one error, placed
// at its resource by at.
func (h *Host) openSignins(services map[string]*Service, failed map[string]bool, at func(*plan.Resource, error) error) []error {
	var errs []error
	for _, r := range h.Plan.Selected(h.Options.GOOS) {
		if r.Kind != plan.KindPlexSignin || failed[r.Service] {
			continue
		}
		s, err := h.openSignin(r, services)
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			errs = append(errs, at(r, err))
			continue
		}
		h.Signins = append(h.Signins, s)
	}
	return errs
}

func (h *Host) openSignin(r *plan.Resource, services map[string]*Service) (*signin.Signin, error) {
	store := h.Store(r.Signin.Store)
	if store == nil {
		// A store that failed to bind has its own error; the plan keeps both on one OS.
		return nil, errSkip
	}
	if services[r.Service] == nil {
		return nil, fmt.Errorf("its service %q does not apply to %s (check its when:)", r.Service, h.Options.GOOS)
	}
	s := &signin.Signin{Resource: r, Store: store.Store, StoreName: store.Resource.Name,
		Server: &signin.Server{URL: r.URL, Timeout: r.Timeout},
		PlexTV: &signin.PlexTV{BaseURL: r.Signin.PlexTV, ClientIdentifier: signin.StableClientIdentifier(), Timeout: r.Timeout}}
	if src := r.Signin.Relink.ClaimToken; src != nil {
		// Read only when a re-link needs it, but hidden from every child from now on:
		// a service's stop or status command must not see it either way.
		childenv.Hide(src.Env)
		s.ReadClaimToken = func() (string, error) { return h.claimToken(*src) }
	}
	// The store wants the sign-in values gone, but keepSignIn drops that from every diff
	// unless the decision resets them. The store's own absent: holds none of them (the
	// plan checks that).
	store.signin = s
	for _, name := range plan.SignInValues {
		store.Want = append(store.Want, plan.Desired{Name: name, Absent: true, Sensitive: store.Resource.IsSensitive(name)})
	}
	return s, nil
}

// keepSignIn drops the reset of the sign-in values from a store's diff unless its
// plex_signin's decision resets them.
func (st *Store) keepSignIn(rc *plan.ResourceChange) {
	if st.signin == nil || st.signin.Resets() {
		return
	}
	kept := rc.Values[:0]
	for _, v := range rc.Values {
		if !plan.IsSignInValue(v.StoreName) {
			kept = append(kept, v)
		}
	}
	rc.Values = kept
}

// settle is the settle phase: the one decision about every repair, made once per diff
// after every store was read, in one pass. Each plex_signin decides from what its store
// held (signin.Signin.Decide), and its store's diff keeps or drops the reset
// accordingly; then each plex_claim decides whether to claim, on the store diffs as the
// sign-ins left them (signin.Claim.Decide), and a claim not made takes out of them what
// it would otherwise redo (Settle). The diff, the views and the engine read these
// decisions; the re-reads of Steps (Recheck, ResolveDeferred) keep them.
func (h *Host) settle(ctx context.Context, ch *plan.Changes) error {
	decided := map[*signin.Signin]*plan.SigninChange{}
	for i, st := range h.Stores {
		if st.signin == nil {
			continue
		}
		rc := ch.Resources[i]
		sc, warnings := st.signin.Decide(ctx, st.stored)
		st.keepSignIn(rc)
		st.warnUnwritable(ctx, rc)
		rc.Warnings = append(rc.Warnings, warnings...)
		decided[st.signin] = sc
	}
	for _, s := range h.Signins { // in plan order
		ch.Signins = append(ch.Signins, decided[s])
	}
	// Claims come before services: a satisfied claim takes changes out of the stores
	// it touches, and a service restarts only for stores that still change.
	used, err := h.loadUsedClaims()
	if err != nil {
		return err
	}
	for _, c := range h.Claims {
		ch.Claims = append(ch.Claims, c.Decide(ctx, ch, used))
	}
	for _, c := range h.Claims {
		c.Settle(ch, used)
	}
	return nil
}

// Relinks are the plex_signin resources this apply re-links.
func (st *Steps) Relinks() []*signin.Signin {
	var out []*signin.Signin
	for _, s := range st.host.Signins {
		if s.Relinks() {
			out = append(out, s)
		}
	}
	return out
}
