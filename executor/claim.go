package executor

import (
	"context"
	"fmt"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plex/signin"
)

// participants are the runtimes of the kinds that take part in phases beyond the stores'
// and services' own: the plex_claim resources this apply performs, then the plex_signin
// resources it re-links.
func (r *run) participants() []participant {
	var out []participant
	for _, c := range r.steps.Claims {
		out = append(out, claimer{c})
	}
	for _, s := range r.steps.Relinks() {
		out = append(out, relinker{s, r})
	}
	return out
}

// claimer is a plex_claim in the after-start phase.
type claimer struct{ c *host.Claim }

func (c claimer) Name() string { return c.c.Resource.Name }

// AfterStart signs the server in where the plan wants it claimed and it is not.
func (c claimer) AfterStart(ctx context.Context, event func(kind, message string), _ func(string, time.Duration)) error {
	event(EventClaiming, fmt.Sprintf("Claiming %s", signin.Redacted(c.c.Server.URL)))
	if err := c.c.Claimed(ctx); err != nil {
		return fmt.Errorf("%s: %w", c.Name(), err)
	}
	event(EventClaimed, fmt.Sprintf("%s says claimed=\"1\"", signin.Redacted(c.c.Server.URL)))
	return nil
}
