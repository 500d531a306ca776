package executor

import (
	"context"
	"fmt"
	"time"

	"github.com/plexform/plexform/internal/claim"
	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/plan"
)

// Events of a plex_signin's re-link.
const (
	// EventLinkCode carries the code to enter at plex.tv/link; the code is not a secret.
	EventLinkCode = "link_code"
	EventLinked   = "linked"
	EventRelinked = "relinked"
)

// relink signs the server in again for each plex_signin that this apply found broken
// and may re-link, once the server runs after the reset. A failure (a rejected claim
// token, a link code nobody entered in time, Ctrl-C while waiting) rolls the apply back.
func (r *run) relink(ctx context.Context) error {
	for _, s := range r.steps.Relinks() {
		if err := r.relinkOne(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s.Resource.Name, err)
		}
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
			claim.LinkURL, pin.Code, time.Until(pin.ExpiresAt).Round(time.Second))})
		account, err := s.PlexTV.WaitForPin(ctx, pin, func(left time.Duration) { r.obs.Waiting(name, "Waiting for the code to be entered", left) })
		if err != nil {
			return err
		}
		r.obs.Event(Event{Type: EventLinked, Resource: name, Message: "The code was entered; getting a claim token for that account from plex.tv"})
		if claimToken, err = s.PlexTV.ClaimToken(ctx, account); err != nil {
			return err
		}
	}
	r.obs.Event(Event{Type: EventClaiming, Resource: name, Message: fmt.Sprintf("Claiming %s", s.Server.URL)})
	if err := s.Server.Claim(ctx, claimToken); err != nil {
		return err
	}
	if err := s.Server.WaitClaimed(ctx, s.Timeout()); err != nil {
		return err
	}
	// The re-link counts only when the sign-in it made works: the server saved its new
	// token, accepts it, and (online) plex.tv does too.
	token, err := s.StoredToken(ctx)
	if err != nil {
		return fmt.Errorf("read the new sign-in: %w", err)
	}
	now := s.Observe(ctx, token)
	if now.Verdict != plan.SigninWorking {
		return fmt.Errorf("after the re-link the sign-in is %s: %s", now.Verdict, now.Reason)
	}
	r.obs.Event(Event{Type: EventRelinked, Resource: name, Message: "sign-in: working — " + now.Reason})
	return nil
}
