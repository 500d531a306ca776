package host

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
)

const tokenName = "PlexOnlineToken"

// openClaim binds a plex_claim (its runtime is signin.Claim): its service, the stores it
// touches and, for method exchange, the store its token is written to.
func (h *Host) openClaim(r *plan.Resource, services map[string]*Service) (*signin.Claim, error) {
	token, err := h.claimToken(r.Claim.Token)
	if err != nil {
		return nil, err
	}
	svc := services[r.Service]
	if svc == nil {
		return nil, fmt.Errorf("its service %q does not apply to %s (check its when:)", r.Service, h.Options.GOOS)
	}
	c := &signin.Claim{Resource: r, Server: &signin.Server{URL: r.URL, Timeout: r.Timeout}, Token: token, Touches: slices.Clone(svc.guards)}
	if r.Claim.Method != "exchange" {
		return c, nil
	}
	prefs := h.Store(r.Claim.Preferences)
	if prefs == nil {
		return nil, fmt.Errorf("its preferences %q do not apply to %s (check its when:)", r.Claim.Preferences, h.Options.GOOS)
	}
	c.Prefs, c.Touches = prefs.Store, append(c.Touches, prefs.Resource.Name)
	c.Exchange = &signin.Exchange{BaseURL: r.Claim.ExchangeURL, Timeout: r.Timeout}
	// The token from the exchange is the desired PlexOnlineToken, whatever else the plan
	// says of it (a reset-and-claim plan lists it under absent:).
	want := prefs.Want[:0:0]
	for _, d := range prefs.Want {
		if !strings.EqualFold(d.Name, tokenName) {
			want = append(want, d)
		}
	}
	prefs.Want = append(want, plan.Desired{Name: tokenName, Sensitive: true, Deferred: true})
	return c, nil
}

// claimToken reads a claim token from its source and checks its shape, so a typo fails
// before anything runs; the token itself is never in the error.
func (h *Host) claimToken(src plan.Source) (string, error) {
	token, err := h.Plan.Resolve(src, h.Options.Root, h.secretEnv)
	if err != nil {
		return "", fmt.Errorf("claim token: %w", err)
	}
	if !signin.ValidShape(token) {
		return "", fmt.Errorf("the claim token from %s is not a claim token (claim- and 20 letters, digits, - or _); get one at plex.tv/claim", sourceName(src))
	}
	return strings.TrimSpace(token), nil
}

func sourceName(s plan.Source) string {
	if s.Env != "" {
		return "$" + s.Env
	}
	return s.File
}

// loadUsedClaims reads the spent claim tokens through the trusted state dir.
func (h *Host) loadUsedClaims() (signin.UsedClaims, error) {
	return signin.LoadUsedClaims(h.Options.State, len(h.Claims))
}

// ResolveDeferred exchanges the claim token at plex.tv for the server's own token and
// makes it the desired PlexOnlineToken. It runs after the stop (the token is written
// while the server is down) and only for claims this apply makes.
func (h *Host) ResolveDeferred(ctx context.Context) (resolved bool, err error) {
	for _, c := range h.Claims {
		if c.Exchange == nil || !c.Needed() {
			continue
		}
		token, err := c.ExchangedToken(ctx)
		if err != nil {
			return resolved, err
		}
		resolved = true
		prefs := h.Store(c.Resource.Claim.Preferences)
		for i := range prefs.Want {
			if prefs.Want[i].Deferred {
				prefs.Want[i].Value.Text = token
				prefs.Want[i].Deferred = false
			}
		}
	}
	return resolved, nil
}
