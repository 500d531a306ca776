package kinds

import (
	"context"
	"errors"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
)

func init() {
	plan.Register(&plan.Kind{
		Name: plan.KindPlexService, Doc: "whichever service manager runs Plex on this host", Role: plan.RoleService,
		Fields: []string{"state", "timeout"}, Discovered: true,
		OpenService: func(r *plan.Resource, on plan.OnHost) (plan.OpenedService, error) {
			s, looked, err := discover.FindService(discover.Options{Root: on.Root, GOOS: on.GOOS, Getenv: on.Getenv})
			var none *discover.NoServiceError
			if errors.As(err, &none) {
				// The settings can still be diffed: plan shows them and says how to name
				// the service; apply refuses, as the state cannot be read.
				return plan.OpenedService{Service: noService{none}}, nil
			}
			if err != nil {
				return plan.OpenedService{}, withLooked(err, looked)
			}
			return newService(s.Config, r, on, s.How)
		},
	})
}

// noService stands for a plex_service that found no way to run Plex: its state reads as
// an error that says how to name the service, so plan warns and apply refuses.
type noService struct{ err *discover.NoServiceError }

func (n noService) Describe() string { return "no service manager found" }
func (n noService) Running(context.Context) (bool, error) {
	return false, errors.New("no way to run Plex Media Server found (plexform doctor lists where it looked). " + n.err.Hint())
}
func (n noService) Stop(ctx context.Context) error  { _, err := n.Running(ctx); return err }
func (n noService) Start(ctx context.Context) error { _, err := n.Running(ctx); return err }
