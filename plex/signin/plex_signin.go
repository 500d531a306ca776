package signin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
)

// Events a plex_signin or plex_claim reports while it acts, as the engine's JSON event
// lines spell them (executor re-exports them as its own Event types).
const (
	// EventLinkCode carries the code to enter at plex.tv/link; the code is not a secret.
	EventLinkCode = "link_code"
	EventLinked   = "linked"
	EventRelinked = "relinked"
	EventClaiming = "claiming"
	EventClaimed  = "claimed"
	// EventWarning is the engine's warning: something to know that does not fail the run.
	EventWarning = "warning"
)

// Signin is the runtime of one plex_signin resource: the store whose sign-in it keeps
// working, the server and plex.tv it asks, the one decision about a repair (Decide) and
// the re-link it makes after the reset (Check, AfterStart). host binds it; the engine
// runs it in its phases. The claim token (relink: claim_token) is never printed, saved
// or put in an error.
type Signin struct {
	Resource *plan.Resource
	// Store holds the sign-in; StoreName is its resource's name.
	Store     stores.Store
	StoreName string
	Server    *Server
	PlexTV    *PlexTV
	// ClaimToken is relink: claim_token's token once LoadClaimToken read it, right
	// before the apply that may use it: it lives about 4 minutes, so plan (and a healthy
	// apply) never need it, and a saved plan never holds it.
	ClaimToken string
	// ReadClaimToken reads it from its source; nil without relink: claim_token.
	ReadClaimToken func() (string, error)
	// PreviousOwner is the account the store names before this apply resets it, read
	// from the store's change as it stands (host sets it): only that account may
	// complete a link code.
	PreviousOwner func() Owner
	// ServerAsk and PlexTVAsk bound each question of the verdict when the resource
	// gives no timeout: (zero: 5 s and 15 s, so plan stays quick when a peer is down).
	ServerAsk, PlexTVAsk time.Duration
	// decision is the one decision about the repair, made by Decide.
	decision *plan.SigninChange
}

// Bounds of the verdict's questions when neither timeout: nor ServerAsk/PlexTVAsk say.
const (
	serverAskTimeout = 5 * time.Second
	plexTVAskTimeout = 15 * time.Second
)

// Name is the resource's name.
func (s *Signin) Name() string { return s.Resource.Name }

// within is the resource's timeout:, or fallback when it sets none.
func (s *Signin) within(fallback time.Duration) time.Duration {
	if s.Resource.Timeout > 0 {
		return s.Resource.Timeout
	}
	return fallback
}

// PlexTVWithin is s.PlexTV whose every request is bounded by the resource's timeout:,
// or by fallback when it sets none. The bound is the request's own, so a peer that does
// not answer in time gives ErrUnreachable ("no answer within ..."), not the bare
// deadline of an outer context.
func (s *Signin) PlexTVWithin(fallback time.Duration) *PlexTV {
	p := *s.PlexTV
	p.Timeout = s.within(fallback)
	return &p
}

// serverWithin is s.Server bounded as PlexTVWithin bounds plex.tv.
func (s *Signin) serverWithin(fallback time.Duration) *Server {
	c := *s.Server
	c.Timeout = s.within(fallback)
	return &c
}

// Timeout bounds each wait of the re-link on the server (to answer, to say claimed).
func (s *Signin) Timeout() time.Duration { return s.within(DefaultClaimTimeout) }

// LoadClaimToken reads relink: claim_token's token into ClaimToken; nothing to do for
// another relink. An error says what to set (the token is never in it).
func (s *Signin) LoadClaimToken() error {
	if s.ReadClaimToken == nil {
		return nil
	}
	token, err := s.ReadClaimToken()
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
	if s.ReadClaimToken == nil {
		return ""
	}
	if _, err := s.ReadClaimToken(); err != nil {
		return fmt.Sprintf("relink: cannot be read now (%v); a repair would need it", err)
	}
	return ""
}

// Stored is what a store holds of the server's sign-in: its PlexOnlineToken and its
// ProcessedMachineIdentifier, the X-Plex-Client-Identifier plex.tv knows the server by
// (the one Plex's Docker images send for it), and the account it names. Each is "" when
// absent.
type Stored struct {
	Token, MachineIdentifier string
	Owner                    Owner
}

// StoredIn is what st holds of the sign-in (any casing).
func StoredIn(st stores.State) Stored {
	value := func(name string) string {
		for _, key := range lookupFold(st.Values, name) {
			if v := st.Values[key]; v.Text != "" {
				return v.Text
			}
		}
		return ""
	}
	return Stored{Token: value("PlexOnlineToken"), MachineIdentifier: value("ProcessedMachineIdentifier"),
		Owner: Owner{Username: value("PlexOnlineUsername"), Email: value("PlexOnlineMail")}}
}

// Stored reads the store's sign-in.
func (s *Signin) Stored(ctx context.Context) (Stored, error) {
	st, err := s.Store.Read(ctx)
	if err != nil {
		return Stored{}, err
	}
	return StoredIn(st), nil
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

// Decide is the one decision about this sign-in's repair, made once per diff from what
// its store held when it was read: the verdict (working, broken, unknown) with its
// evidence, whether the sign-in is reset (broken, or force: true) and how it is re-linked.
// The diff, the views and the engine read it (Decision); nothing decides it again, and
// after the stop (when the server cannot be asked) a re-read of the store keeps or drops
// the reset as decided here. warnings are for the store's change: what apply will refuse.
func (s *Signin) Decide(ctx context.Context, stored Stored) (sc *plan.SigninChange, warnings []string) {
	sc = s.Observe(ctx, stored)
	sc.Store = s.StoreName
	if s.Resource.Signin.Force {
		sc.Forced, sc.Relink = true, s.Resource.Signin.Relink.Method()
	}
	if note := s.claimTokenNote(); note != "" {
		sc.Evidence = append(sc.Evidence, note)
		if sc.Relink == "claim_token" {
			warnings = append(warnings, fmt.Sprintf("%s: the sign-in is %s and its re-link needs a claim token that cannot be read now: apply will refuse before anything changes; "+
				"get a claim token at plex.tv/claim and give it right before apply (it lives about 4 minutes)", s.Resource.Name, resetWhy(sc)))
		}
	}
	// apply refuses a link code that no account could complete; plan says so first.
	if sc.Relink == "link_code" && !stored.Owner.Known() {
		warnings = append(warnings, fmt.Sprintf("%s: the settings name no plex.tv account (no PlexOnlineUsername or PlexOnlineMail), "+
			"so nobody can be shown to be the owner who may complete a link code: apply will refuse; sign the server in by hand or use relink: {claim_token: ...}", s.Resource.Name))
	}
	s.decision = sc
	return sc, warnings
}

// Decision is what Decide decided, or nil before it ran.
func (s *Signin) Decision() *plan.SigninChange { return s.decision }

// Resets reports whether the decision resets the store's sign-in values: until a
// decision says so they stay, so nothing read before it can reset anything.
func (s *Signin) Resets() bool { return s.decision != nil && s.decision.Resets() }

// Relinks reports whether the decision re-links the server after the reset.
func (s *Signin) Relinks() bool { return s.decision != nil && s.decision.Relinks() }

// resetWhy says why a sign-in is reset, for a warning: "broken", or "reset by force:".
func resetWhy(sc *plan.SigninChange) string {
	if sc.Verdict == plan.SigninBroken {
		return "broken"
	}
	return "reset by force: true"
}

// PreviousOwnerIn is the plex.tv account a store's settings named before its reset: the
// PlexOnlineUsername and PlexOnlineMail the change removes (as read for the diff, and
// again after the stop).
func PreviousOwnerIn(rc *plan.ResourceChange) Owner {
	var was Owner
	if rc == nil {
		return was
	}
	for _, v := range rc.Values {
		if v.Action == plan.Remove && v.Before != nil {
			was.take(v.StoreName, v.Before.Text)
		}
	}
	return was
}

// OwnerIn is the plex.tv account a store's values name (PlexOnlineUsername,
// PlexOnlineMail), before anything resets them.
func OwnerIn(values map[string]stores.Value) Owner {
	var o Owner
	for name, v := range values {
		o.take(name, v.Text)
	}
	return o
}

// take notes a value that names the account, in whatever case the store spells it.
func (o *Owner) take(name, text string) {
	switch {
	case strings.EqualFold(name, "PlexOnlineUsername"):
		o.Username = text
	case strings.EqualFold(name, "PlexOnlineMail"):
		o.Email = text
	}
}

// Observe gives the verdict on the stored sign-in: what the server says of its token
// (GET /myplex/account, signInState) and, with online: true, what plex.tv says
// (GET /api/v2/user, asked under the server's own identity: 200 with a user accepted;
// 401, 498 and 422 "Invalid token" rejected). Whatever cannot be asked, and any other
// answer, makes the verdict unknown, which never resets anything. No token reaches the
// result.
func (s *Signin) Observe(ctx context.Context, stored Stored) *plan.SigninChange {
	token := stored.Token
	serverURL, plexTVURL := Redacted(s.Server.URL), Redacted(s.Resource.Signin.PlexTV)
	sc := &plan.SigninChange{Address: s.Resource.Name, Verdict: plan.SigninUnknown, Evidence: []string{}}
	say := func(format string, args ...any) { sc.Evidence = append(sc.Evidence, fmt.Sprintf(format, args...)) }
	broken := func(reason string, revoked bool) *plan.SigninChange {
		sc.Verdict, sc.Reason, sc.Revoked, sc.Relink = plan.SigninBroken, reason, revoked, s.Resource.Signin.Relink.Method()
		return sc
	}
	if token == "" {
		say("stored token: none in %s", s.Store.Target())
		return broken("the server holds no sign-in token", false)
	}
	say("stored token: present in %s", s.Store.Target())

	state, err := s.serverWithin(orDuration(s.ServerAsk, serverAskTimeout)).SignInState(ctx, token)
	switch {
	case errors.Is(err, ErrTokenNotAccepted):
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
	err = s.PlexTVWithin(orDuration(s.PlexTVAsk, plexTVAskTimeout)).CheckToken(ctx, token, server)
	switch {
	case errors.Is(err, ErrRevoked):
		say("plex.tv %s: rejects the stored token (HTTP %d)", plexTVURL, RefusedStatus(err))
		return broken("plex.tv rejects the stored token", true)
	case errors.Is(err, ErrUnreachable):
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
func (s *Signin) serverIdentity(ctx context.Context, stored Stored) (id ServerIdentity, why string) {
	running, err := s.serverWithin(orDuration(s.ServerAsk, serverAskTimeout)).Identity(ctx)
	if err != nil {
		return id, fmt.Sprintf("the server's /identity cannot be read: %v", err)
	}
	machine := stored.MachineIdentifier
	switch {
	case machine == "" && running.MachineIdentifier == "":
		return id, fmt.Sprintf("neither %s nor the server's /identity holds its ProcessedMachineIdentifier", s.Store.Target())
	case machine == "":
		machine = running.MachineIdentifier
	case running.MachineIdentifier != "" && running.MachineIdentifier != machine:
		return id, fmt.Sprintf("the ProcessedMachineIdentifier in %s is not the running server's (is store: this server's settings?)", s.Store.Target())
	}
	return ServerIdentity{ClientIdentifier: machine, Version: running.Version}, ""
}

// errOtherOwner refuses a link code entered by another account. It names no account:
// the output it lands in is what the code leaked through.
var errOtherOwner = errors.New("the link code was entered by a plex.tv account other than the one this server was signed in to; nothing was linked and the apply is rolled back. " +
	"To give the server to another account, sign it in by hand or use relink: {claim_token: ...}")

// errNoOwner refuses a link code when the settings name no plex.tv account: then
// nobody entering the code can be shown to be the owner.
var errNoOwner = errors.New("the server's settings name no plex.tv account (no PlexOnlineUsername or PlexOnlineMail), so nobody entering a link code can be shown to be its owner, and relink: {link_code: true} cannot re-link it; nothing was linked. " +
	"Sign the server in by hand or use relink: {claim_token: ...}")

// previousOwner is PreviousOwner, or no account when host set none.
func (s *Signin) previousOwner() Owner {
	if s.PreviousOwner == nil {
		return Owner{}
	}
	return s.PreviousOwner()
}

// Check refuses, in the engine's check phase (before anything changes), a re-link that
// could only fail after the reset: a link code with no owner known (no account may
// complete it), or a claim token that cannot be read. The claim token is read here,
// right before the apply that uses it, and only when a re-link needs it.
func (s *Signin) Check(context.Context) error {
	if s.Resource.Signin.Relink.LinkCode && !s.previousOwner().Known() {
		return fmt.Errorf("%s: %w", s.Resource.Name, errNoOwner)
	}
	if err := s.LoadClaimToken(); err != nil {
		return fmt.Errorf("%s: %w; nothing was changed", s.Resource.Name, err)
	}
	return nil
}

// AfterStart re-links the server, in the engine's after-start phase, once it runs after
// the reset. A failure (a rejected claim token, a link code nobody entered in time,
// Ctrl-C while waiting) rolls the apply back.
func (s *Signin) AfterStart(ctx context.Context, event func(kind, message string), waiting func(string, time.Duration)) error {
	if err := s.relink(ctx, event, waiting); err != nil {
		return fmt.Errorf("%s: %w", s.Resource.Name, err)
	}
	return nil
}

func (s *Signin) relink(ctx context.Context, event func(kind, message string), waiting func(string, time.Duration)) error {
	if _, err := s.Server.WaitReachable(ctx, s.Timeout()); err != nil {
		return err
	}
	claimToken := s.ClaimToken
	if s.Resource.Signin.Relink.LinkCode {
		pin, err := s.PlexTV.NewPin(ctx)
		if err != nil {
			return err
		}
		event(EventLinkCode, fmt.Sprintf("Open %s on any device and enter %s (the code expires in %s)",
			LinkURL, pin.Code, time.Until(pin.ExpiresAt).Round(time.Second)))
		account, err := s.PlexTV.WaitForPin(ctx, pin, func(left time.Duration) { waiting("Waiting for the code to be entered", left) })
		if err != nil {
			return err
		}
		// The account token is plexform's only for this re-link: whatever happens next
		// (claimed, refused, rolled back), it is signed out so the owner's Authorized
		// Devices keep no plexform entry with full access to the account.
		defer s.signOut(ctx, event, account)
		// The code was on screen and in logs: whoever read it could enter it. Only the
		// account the server was signed in to may take it back; any other is refused
		// before a claim token is even asked for.
		if err := s.sameOwner(ctx, account); err != nil {
			return err
		}
		event(EventLinked, "The code was entered by the account the server was signed in to; getting a claim token for it from plex.tv")
		if claimToken, err = s.PlexTV.ClaimToken(ctx, account); err != nil {
			return err
		}
	}
	event(EventClaiming, fmt.Sprintf("Claiming %s", Redacted(s.Server.URL)))
	if err := s.Server.Claim(ctx, claimToken); err != nil {
		return err
	}
	if err := s.Server.WaitClaimed(ctx, s.Timeout()); err != nil {
		return err
	}
	// The re-link counts when the sign-in it made works: the server saved its new
	// token, accepts it, and (online) plex.tv does too. Only a verdict of broken undoes
	// it: the claim is done at plex.tv, and a rollback would put back the revoked token
	// and waste the owner's link code or claim token. A verdict still unknown (plex.tv
	// rate-limiting or failing, the server not settled yet) keeps the new sign-in, warned.
	now := s.settledVerdict(ctx)
	evidence := strings.Join(now.Evidence, "; ")
	switch now.Verdict {
	case plan.SigninWorking:
		event(EventRelinked, "sign-in: working — "+now.Reason)
	case plan.SigninBroken:
		return fmt.Errorf("after the re-link the sign-in is broken: %s (%s)", now.Reason, evidence)
	default:
		event(EventWarning, fmt.Sprintf("the server was claimed and keeps its new sign-in, but its verdict is still unknown after %s: %s (%s); run plan again later to check it",
			s.Timeout(), now.Reason, evidence))
	}
	return nil
}

// Re-asks after a claim start at firstReask and back off to maxReask: plex.tv asked to
// slow down (429) is not asked at once again.
const firstReask, maxReask = 250 * time.Millisecond, 5 * time.Second

// settledVerdict is the sign-in's verdict after a claim, asked again within the
// resource's timeout: while it is unknown, or broken only by the server's own word
// (a signInState other than "ok" or "invalid", or no token saved yet: a server that has
// not settled after the claim). A rejection (plex.tv's, or signInState="invalid") is
// final at once. It returns the last verdict when the timeout runs out or the run is
// interrupted.
func (s *Signin) settledVerdict(ctx context.Context) *plan.SigninChange {
	deadline := time.Now().Add(s.Timeout())
	for delay := firstReask; ; delay = min(2*delay, maxReask) {
		var now *plan.SigninChange
		if stored, err := s.Stored(ctx); err != nil {
			now = &plan.SigninChange{Address: s.Resource.Name, Verdict: plan.SigninUnknown, Reason: "the new sign-in cannot be read",
				Evidence: []string{fmt.Sprintf("store %s: %v", s.StoreName, err)}}
		} else {
			now = s.Observe(ctx, stored)
		}
		unsettled := now.Verdict == plan.SigninUnknown || (now.Verdict == plan.SigninBroken && !now.Revoked)
		if !unsettled || time.Until(deadline) < delay {
			return now
		}
		select {
		case <-ctx.Done():
			return now
		case <-time.After(delay):
		}
	}
}

// signOutTimeout bounds the sign-out of the link code's account token when the
// resource gives no timeout.
const signOutTimeout = 15 * time.Second

// signOut ends the link code's account token at plex.tv, also after Ctrl-C (the apply is
// then rolled back, and the token would otherwise outlive it). A failure is a warning:
// the server's own sign-in does not depend on it, and the owner can remove the entry
// under Authorized Devices.
func (s *Signin) signOut(ctx context.Context, event func(kind, message string), accountToken string) {
	// The request's own timeout bounds it (timeout:, or signOutTimeout), so a plex.tv
	// that does not answer is named as such.
	if err := s.PlexTVWithin(signOutTimeout).SignOut(context.WithoutCancel(ctx), accountToken); err != nil {
		event(EventWarning, fmt.Sprintf("%v; remove plexform's entry under Authorized Devices at plex.tv", err))
	}
}

// sameOwner asks plex.tv who entered the link code (accountToken is that account's) and
// refuses anyone but the account the server was signed in to before the reset.
func (s *Signin) sameOwner(ctx context.Context, accountToken string) error {
	was := s.previousOwner()
	if !was.Known() {
		return errNoOwner
	}
	now, err := s.PlexTV.WhoIs(ctx, accountToken)
	if err != nil {
		return err
	}
	if !was.Same(now) {
		return errOtherOwner
	}
	return nil
}
