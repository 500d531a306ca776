package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/childenv"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores"
)

// Signin is one plex_signin resource bound to this host: the store whose sign-in it
// keeps working, the server and plex.tv it asks, and how it re-links. The claim token
// (relink: claim_token) is never printed, saved or put in an error.
type Signin struct {
	Resource *plan.Resource
	Store    *Store
	Service  *Service
	Server   *signin.Server
	PlexTV   *signin.PlexTV
	// ClaimToken is relink: claim_token's token once LoadClaimToken read it, right
	// before the apply that may use it: it lives about 4 minutes, so plan (and a healthy
	// apply) never need it, and a saved plan never holds it.
	ClaimToken string
	// readClaimToken reads it from its source; nil without relink: claim_token.
	readClaimToken func() (string, error)
	// reset is the verdict's consequence: the store's sign-in values are to go. Until a
	// verdict says broken they stay, so nothing read before it can reset anything.
	reset bool
}

// Timeouts of the verdict's questions when the resource gives no timeout: plan must
// stay quick when a peer is down. With timeout: set, that bounds each question instead
// (README: each request of the re-link takes it). Variables so a test can lower them.
var (
	serverAskTimeout = 5 * time.Second
	plexTVAskTimeout = 15 * time.Second
)

// within is the resource's timeout:, or fallback when it sets none.
func (s *Signin) within(fallback time.Duration) time.Duration {
	if s.Resource.Timeout > 0 {
		return s.Resource.Timeout
	}
	return fallback
}

// PlexTVWithin is s.PlexTV whose every request is bounded by the resource's timeout:,
// or by fallback when it sets none. The bound is the request's own, so a peer that does
// not answer in time gives signin.ErrUnreachable ("no answer within ..."), not the bare
// deadline of an outer context.
func (s *Signin) PlexTVWithin(fallback time.Duration) *signin.PlexTV {
	p := *s.PlexTV
	p.Timeout = s.within(fallback)
	return &p
}

// serverWithin is s.Server bounded as PlexTVWithin bounds plex.tv.
func (s *Signin) serverWithin(fallback time.Duration) *signin.Server {
	c := *s.Server
	c.Timeout = s.within(fallback)
	return &c
}

// Timeout bounds each wait of the re-link on the server (to answer, to say claimed).
func (s *Signin) Timeout() time.Duration {
	if s.Resource.Timeout > 0 {
		return s.Resource.Timeout
	}
	return DefaultClaimTimeout
}

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

func (h *Host) openSignin(r *plan.Resource, services map[string]*Service) (*Signin, error) {
	s := &Signin{Resource: r, Store: h.Store(r.Signin.Store), Service: services[r.Service],
		Server: &signin.Server{URL: r.URL, Timeout: r.Timeout},
		PlexTV: &signin.PlexTV{BaseURL: r.Signin.PlexTV, ClientIdentifier: signin.StableClientIdentifier(), Timeout: r.Timeout}}
	if s.Store == nil {
		// A store that failed to bind has its own error; the plan keeps both on one OS.
		return nil, errSkip
	}
	if s.Service == nil {
		return nil, fmt.Errorf("its service %q does not apply to %s (check its when:)", r.Service, h.Options.GOOS)
	}
	if src := r.Signin.Relink.ClaimToken; src != nil {
		// Read only when a re-link needs it, but hidden from every child from now on:
		// a service's stop or status command must not see it either way.
		childenv.Hide(src.Env)
		s.readClaimToken = func() (string, error) { return h.claimToken(*src) }
	}
	// The store wants the sign-in values gone, but keepSignIn drops that from every diff
	// unless the verdict is broken. The store's own absent: holds none of them (the plan
	// checks that).
	s.Store.signin = s
	for _, name := range plan.SignInValues {
		s.Store.Want = append(s.Store.Want, plan.Desired{Name: name, Absent: true, Sensitive: s.Store.Resource.IsSensitive(name)})
	}
	return s, nil
}

// LoadClaimToken reads relink: claim_token's token into ClaimToken; nothing to do for
// another relink. An error says what to set (the token is never in it).
func (s *Signin) LoadClaimToken() error {
	if s.readClaimToken == nil {
		return nil
	}
	token, err := s.readClaimToken()
	if err != nil {
		return fmt.Errorf("re-link: %w (a claim token lives about 4 minutes: get one at plex.tv/claim right before the apply)", err)
	}
	s.ClaimToken = token
	return nil
}

// claimTokenNote is what plan says of relink: claim_token's token when it cannot be read
// now, or "" when it can. plan needs it only to say so: the token is read again, and
// used, by apply.
func (s *Signin) claimTokenNote() string {
	if s.readClaimToken == nil {
		return ""
	}
	if _, err := s.readClaimToken(); err != nil {
		return fmt.Sprintf("relink: cannot be read now (%v); a repair would need it", err)
	}
	return ""
}

// isSignInValue reports whether a store's value name is one of the sign-in values.
func isSignInValue(name string) bool {
	return slices.ContainsFunc(plan.SignInValues, func(v string) bool { return strings.EqualFold(v, name) })
}

// keepSignIn drops the reset of the sign-in values from a store's diff unless its
// plex_signin found the sign-in broken or forces the reset.
func (st *Store) keepSignIn(rc *plan.ResourceChange) {
	if st.signin == nil || st.signin.reset {
		return
	}
	kept := rc.Values[:0]
	for _, v := range rc.Values {
		if !isSignInValue(v.StoreName) {
			kept = append(kept, v)
		}
	}
	rc.Values = kept
}

// Stored is what a store holds of the server's sign-in: its PlexOnlineToken and its
// ProcessedMachineIdentifier, the X-Plex-Client-Identifier plex.tv knows the server by
// (the one Plex's Docker images send for it). Either is "" when absent.
type Stored struct {
	Token, MachineIdentifier string
}

// Stored reads the store's PlexOnlineToken and ProcessedMachineIdentifier (any casing).
func (s *Signin) Stored(ctx context.Context) (Stored, error) {
	st, err := s.Store.Store.Read(ctx)
	if err != nil {
		return Stored{}, err
	}
	value := func(name string) string {
		for _, key := range lookupFold(st.Values, name) {
			if v := st.Values[key]; v.Text != "" {
				return v.Text
			}
		}
		return ""
	}
	return Stored{Token: value("PlexOnlineToken"), MachineIdentifier: value("ProcessedMachineIdentifier")}, nil
}

func lookupFold[V any](values map[string]V, name string) []string {
	var out []string
	for k := range values {
		if strings.EqualFold(k, name) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// settleSignins gives each plex_signin its verdict and, when that changes whether its
// store's sign-in is reset, diffs the store again (bases follows). The verdict then
// stands for the rest of the apply: after the stop the server cannot be asked, and a
// re-read of the store (Steps.Recheck) keeps or drops the reset as decided here.
func (h *Host) settleSignins(ctx context.Context, ch *plan.Changes, bases map[*Store]stores.Snapshot) error {
	for _, s := range h.Signins {
		var sc *plan.SigninChange
		stored, err := s.Stored(ctx)
		if err != nil {
			sc = &plan.SigninChange{Address: s.Resource.Name, Verdict: plan.SigninUnknown, Reason: "the stored token cannot be read",
				Evidence: []string{fmt.Sprintf("store %s: %v", s.Store.Resource.Name, err)}}
		} else {
			sc = s.Observe(ctx, stored)
		}
		sc.Store = s.Store.Resource.Name
		if s.Resource.Signin.Force {
			sc.Forced, sc.Relink = true, s.Resource.Signin.Relink.Method()
		}
		was := s.reset
		s.reset = sc.Resets()
		for i, st := range h.Stores {
			if st != s.Store || was == s.reset {
				continue
			}
			rc, base, err := st.observe(ctx)
			if err != nil {
				return err
			}
			ch.Resources[i], bases[st] = rc, base
		}
		if note := s.claimTokenNote(); note != "" {
			sc.Evidence = append(sc.Evidence, note)
			if sc.Relink == "claim_token" {
				for i, st := range h.Stores {
					if rc := ch.Resources[i]; st == s.Store && rc != nil {
						rc.Warnings = append(rc.Warnings, fmt.Sprintf("%s: the sign-in is %s and its re-link needs a claim token that cannot be read now: apply will refuse before anything changes; "+
							"get a claim token at plex.tv/claim and give it right before apply (it lives about 4 minutes)", s.Resource.Name, resetWhy(sc)))
					}
				}
			}
		}
		ch.Signins = append(ch.Signins, sc)
		// apply refuses a link code that no account could complete; plan says so first.
		if sc.Relink == "link_code" {
			for i, st := range h.Stores {
				if rc := ch.Resources[i]; st == s.Store && rc != nil && !PreviousOwner(rc).Known() {
					rc.Warnings = append(rc.Warnings, fmt.Sprintf("%s: the settings name no plex.tv account (no PlexOnlineUsername or PlexOnlineMail), "+
						"so nobody can be shown to be the owner who may complete a link code: apply will refuse; sign the server in by hand or use relink: {claim_token: ...}", s.Resource.Name))
				}
			}
		}
	}
	return nil
}

// resetWhy says why a sign-in is reset, for a warning: "broken", or "reset by force:".
func resetWhy(sc *plan.SigninChange) string {
	if sc.Verdict == plan.SigninBroken {
		return "broken"
	}
	return "reset by force: true"
}

// PreviousOwner is the plex.tv account a store's settings named before its reset: the
// PlexOnlineUsername and PlexOnlineMail the change removes (as read for the diff, and
// again after the stop). Only that account may complete a link code.
func PreviousOwner(rc *plan.ResourceChange) signin.Owner {
	var was signin.Owner
	if rc == nil {
		return was
	}
	for _, v := range rc.Values {
		if v.Action != plan.Remove || v.Before == nil {
			continue
		}
		switch {
		case strings.EqualFold(v.StoreName, "PlexOnlineUsername"):
			was.Username = v.Before.Text
		case strings.EqualFold(v.StoreName, "PlexOnlineMail"):
			was.Email = v.Before.Text
		}
	}
	return was
}

// Relinks are the plex_signin resources this apply re-links, with their verdicts.
func (st *Steps) Relinks() []*Signin {
	var out []*Signin
	for _, s := range st.host.Signins {
		if sc := signinChange(st.Changes, s.Resource.Name); sc != nil && sc.Resets() && sc.Relink != "" {
			out = append(out, s)
		}
	}
	return out
}

func signinChange(ch *plan.Changes, address string) *plan.SigninChange {
	for _, sc := range ch.Signins {
		if sc.Address == address {
			return sc
		}
	}
	return nil
}

// Observe decides the verdict from the stored sign-in: what the server says of its token
// (GET /myplex/account, signInState) and, with online: true, what plex.tv says
// (GET /api/v2/user, asked under the server's own identity: 200 with a user accepted;
// 401, 498 and 422 "Invalid token" rejected). Whatever cannot be asked, and any other
// answer, makes the verdict unknown, which never resets anything. No token reaches the
// result.
func (s *Signin) Observe(ctx context.Context, stored Stored) *plan.SigninChange {
	token := stored.Token
	serverURL, plexTVURL := signin.Redacted(s.Server.URL), signin.Redacted(s.Resource.Signin.PlexTV)
	sc := &plan.SigninChange{Address: s.Resource.Name, Verdict: plan.SigninUnknown, Evidence: []string{}}
	say := func(format string, args ...any) { sc.Evidence = append(sc.Evidence, fmt.Sprintf(format, args...)) }
	broken := func(reason string, revoked bool) *plan.SigninChange {
		sc.Verdict, sc.Reason, sc.Revoked, sc.Relink = plan.SigninBroken, reason, revoked, s.Resource.Signin.Relink.Method()
		return sc
	}
	if token == "" {
		say("stored token: none in %s", s.Store.Store.Target())
		return broken("the server holds no sign-in token", false)
	}
	say("stored token: present in %s", s.Store.Store.Target())

	state, err := s.serverWithin(serverAskTimeout).SignInState(ctx, token)
	switch {
	case errors.Is(err, signin.ErrTokenNotAccepted):
		say("server %s: does not accept the stored token (HTTP 401)", serverURL)
		sc.Reason = "the server does not accept the stored token as its own (is store: this server's settings, and has it been restarted since they changed?)"
		return sc
	case err != nil:
		say("server %s: cannot be asked: %v", serverURL, err)
		sc.Reason = "the server cannot be asked"
		return sc
	}
	say("server %s: signInState=%s", serverURL, state)
	if !s.Resource.Signin.Online {
		if state == "ok" {
			sc.Verdict, sc.Reason = plan.SigninWorking, "the server reports its sign-in as ok"
			return sc
		}
		return broken(fmt.Sprintf("the server reports its sign-in as %s", state), state == "invalid")
	}

	server, why := s.serverIdentity(ctx, stored)
	if why != "" {
		say("plex.tv %s: not asked: %s", plexTVURL, why)
		sc.Reason = "the server's identity cannot be read, so plex.tv is not asked (the server's token is only ever sent under the server's own identity)"
		return sc
	}
	err = s.PlexTVWithin(plexTVAskTimeout).CheckToken(ctx, token, server)
	switch {
	case errors.Is(err, signin.ErrRevoked):
		say("plex.tv %s: rejects the stored token (HTTP %d)", plexTVURL, signin.RefusedStatus(err))
		return broken("plex.tv rejects the stored token", true)
	case errors.Is(err, signin.ErrUnreachable):
		say("plex.tv %s: cannot be asked: %v", plexTVURL, err)
		sc.Reason = "plex.tv cannot be asked"
		return sc
	case err != nil:
		say("plex.tv %s: %v", plexTVURL, err)
		sc.Reason = "plex.tv's answer is no verdict on the stored token"
		return sc
	}
	say("plex.tv %s: accepts the stored token", plexTVURL)
	if state != "ok" {
		sc.Reason = fmt.Sprintf("plex.tv accepts the stored token, but the server reports its sign-in as %s (a restart of the server may settle it)", state)
		return sc
	}
	sc.Verdict, sc.Reason = plan.SigninWorking, "plex.tv accepts the stored token"
	return sc
}

// serverIdentity is who the server is to plex.tv: the store's ProcessedMachineIdentifier
// (what Plex's Docker images send for the server) and the version its /identity reports.
// When it cannot be told, why says so and the server's token is not sent at all: under
// any other identity it would rewrite the server's device at plex.tv
// (Kometa-Team/Kometa#2894).
func (s *Signin) serverIdentity(ctx context.Context, stored Stored) (id signin.ServerIdentity, why string) {
	running, err := s.serverWithin(serverAskTimeout).Identity(ctx)
	if err != nil {
		return id, fmt.Sprintf("the server's /identity cannot be read: %v", err)
	}
	machine := stored.MachineIdentifier
	switch {
	case machine == "" && running.MachineIdentifier == "":
		return id, fmt.Sprintf("neither %s nor the server's /identity holds its ProcessedMachineIdentifier", s.Store.Store.Target())
	case machine == "":
		machine = running.MachineIdentifier
	case running.MachineIdentifier != "" && running.MachineIdentifier != machine:
		return id, fmt.Sprintf("the ProcessedMachineIdentifier in %s is not the running server's (is store: this server's settings?)", s.Store.Store.Target())
	}
	return signin.ServerIdentity{ClientIdentifier: machine, Version: running.Version}, ""
}
