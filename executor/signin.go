package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
)

// Events of a plex_signin's re-link.
const (
	// EventLinkCode carries the code to enter at plex.tv/link; the code is not a secret.
	EventLinkCode = "link_code"
	EventLinked   = "linked"
	EventRelinked = "relinked"
)

// relinker is a plex_signin that this apply found broken (or forced) and re-links: it
// checks before anything changes, and re-links once the server runs after the reset.
type relinker struct {
	s *host.Signin
	r *run
}

func (l relinker) Name() string { return l.s.Resource.Name }

// AfterStart signs the server in again. A failure (a rejected claim token, a link code
// nobody entered in time, Ctrl-C while waiting) rolls the apply back.
func (l relinker) AfterStart(ctx context.Context, event func(kind, message string), waiting func(string, time.Duration)) error {
	if err := l.r.relinkOne(ctx, l.s); err != nil {
		return fmt.Errorf("%s: %w", l.Name(), err)
	}
	return nil
}

func (r *run) relinkOne(ctx context.Context, s *host.Signin) error {
	name := s.Resource.Name
	if _, err := s.Server.WaitReachable(ctx, s.Timeout()); err != nil {
		return err
	}
	claimToken := s.ClaimToken
	if s.Resource.Signin.Relink.LinkCode {
		pin, err := s.PlexTV.NewPin(ctx)
		if err != nil {
			return err
		}
		r.obs.Event(Event{Type: EventLinkCode, Resource: name, Message: fmt.Sprintf("Open %s on any device and enter %s (the code expires in %s)",
			signin.LinkURL, pin.Code, time.Until(pin.ExpiresAt).Round(time.Second))})
		account, err := s.PlexTV.WaitForPin(ctx, pin, func(left time.Duration) { r.obs.Waiting(name, "Waiting for the code to be entered", left) })
		if err != nil {
			return err
		}
		// The account token is plexform's only for this re-link: whatever happens next
		// (claimed, refused, rolled back), it is signed out so the owner's Authorized
		// Devices keep no plexform entry with full access to the account.
		defer r.signOut(ctx, s, account)
		// The code was on screen and in logs: whoever read it could enter it. Only the
		// account the server was signed in to may take it back; any other is refused
		// before a claim token is even asked for.
		if err := r.sameOwner(ctx, s, account); err != nil {
			return err
		}
		r.obs.Event(Event{Type: EventLinked, Resource: name, Message: "The code was entered by the account the server was signed in to; getting a claim token for it from plex.tv"})
		if claimToken, err = s.PlexTV.ClaimToken(ctx, account); err != nil {
			return err
		}
	}
	r.obs.Event(Event{Type: EventClaiming, Resource: name, Message: fmt.Sprintf("Claiming %s", signin.Redacted(s.Server.URL))})
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
	now := settledVerdict(ctx, s)
	evidence := strings.Join(now.Evidence, "; ")
	switch now.Verdict {
	case plan.SigninWorking:
		r.obs.Event(Event{Type: EventRelinked, Resource: name, Message: "sign-in: working — " + now.Reason})
	case plan.SigninBroken:
		return fmt.Errorf("after the re-link the sign-in is broken: %s (%s)", now.Reason, evidence)
	default:
		r.obs.Event(Event{Type: EventWarning, Resource: name, Message: fmt.Sprintf("the server was claimed and keeps its new sign-in, but its verdict is still unknown after %s: %s (%s); run plan again later to check it",
			s.Timeout(), now.Reason, evidence)})
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
func settledVerdict(ctx context.Context, s *host.Signin) *plan.SigninChange {
	deadline := time.Now().Add(s.Timeout())
	for delay := firstReask; ; delay = min(2*delay, maxReask) {
		var now *plan.SigninChange
		if stored, err := s.Stored(ctx); err != nil {
			now = &plan.SigninChange{Address: s.Resource.Name, Verdict: plan.SigninUnknown, Reason: "the new sign-in cannot be read",
				Evidence: []string{fmt.Sprintf("store %s: %v", s.Store.Resource.Name, err)}}
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
func (r *run) signOut(ctx context.Context, s *host.Signin, accountToken string) {
	// The request's own timeout bounds it (timeout:, or signOutTimeout), so a plex.tv
	// that does not answer is named as such.
	if err := s.PlexTVWithin(signOutTimeout).SignOut(context.WithoutCancel(ctx), accountToken); err != nil {
		r.obs.Event(Event{Type: EventWarning, Resource: s.Resource.Name, Message: fmt.Sprintf("%v; remove plexform's entry under Authorized Devices at plex.tv", err)})
	}
}

// errOtherOwner refuses a link code entered by another account. It names no account:
// the output it lands in is what the code leaked through.
var errOtherOwner = errors.New("the link code was entered by a plex.tv account other than the one this server was signed in to; nothing was linked and the apply is rolled back. " +
	"To give the server to another account, sign it in by hand or use relink: {claim_token: ...}")

// errNoOwner refuses a link code when the settings name no plex.tv account: then
// nobody entering the code can be shown to be the owner.
var errNoOwner = errors.New("the server's settings name no plex.tv account (no PlexOnlineUsername or PlexOnlineMail), so nobody entering a link code can be shown to be its owner, and relink: {link_code: true} cannot re-link it; nothing was linked. " +
	"Sign the server in by hand or use relink: {claim_token: ...}")

// Check refuses, before anything changes, a re-link that could only fail after the
// reset: a link code with no owner known (no account may complete it), or a claim token
// that cannot be read. The claim token is read here, right before the apply that uses it.
func (l relinker) Check(context.Context) error {
	s := l.s
	if s.Resource.Signin.Relink.LinkCode && !l.r.previousOwner(s).Known() {
		return fmt.Errorf("%s: %w", s.Resource.Name, errNoOwner)
	}
	if err := s.LoadClaimToken(); err != nil {
		return fmt.Errorf("%s: %w; nothing was changed", s.Resource.Name, err)
	}
	return nil
}

// sameOwner asks plex.tv who entered the link code (accountToken is that account's) and
// refuses anyone but the account the server was signed in to before the reset.
func (r *run) sameOwner(ctx context.Context, s *host.Signin, accountToken string) error {
	was := r.previousOwner(s)
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

// previousOwner is the account the store named before this apply reset it; rollback puts
// exactly those values back.
func (r *run) previousOwner(s *host.Signin) signin.Owner {
	for _, st := range r.steps.Stores {
		if st.Store == s.Store && st.Change != nil {
			return host.PreviousOwner(st.Change)
		}
	}
	return signin.Owner{}
}
