package executor

import (
	"context"
	"fmt"

	"github.com/plexform/plexform/plex/signin"
)

// claim signs the server in where the plan wants it claimed and it is not.
func (r *run) claim(ctx context.Context) error {
	for _, c := range r.steps.Claims {
		r.obs.Event(Event{Type: EventClaiming, Resource: c.Resource.Name, Message: fmt.Sprintf("Claiming %s", signin.Redacted(c.Server.URL))})
		if err := c.Claimed(ctx); err != nil {
			return fmt.Errorf("%s: %w", c.Resource.Name, err)
		}
		r.obs.Event(Event{Type: EventClaimed, Resource: c.Resource.Name, Message: fmt.Sprintf("%s says claimed=\"1\"", signin.Redacted(c.Server.URL))})
	}
	return r.relink(ctx) // plex_signin (signin.go)
}
