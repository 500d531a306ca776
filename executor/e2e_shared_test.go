package executor_test

// What the end-to-end tests share across platforms: the Unix ones (e2e_helpers_test.go)
// and the Windows app's under Wine (wine_windows_test.go).

import (
	"sync"
	"time"

	"github.com/plexform/plexform/executor"
)

// simToken is the made-up token of the simulated host. Tests compare against it but
// never print it.
const simToken = "tok-e2e-secret-5Jq9"

var signInNames = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

// waitLimit bounds every wait, only so that a broken test ends; never a speed assertion.
const waitLimit = time.Minute

// recorder keeps an apply's events, and runs a hook on each, for tests that look at the
// host at a given step.
type recorder struct {
	mu     sync.Mutex
	events []executor.Event
	on     func(executor.Event)
}

func (r *recorder) Event(e executor.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.on != nil {
		r.on(e)
	}
}

func (r *recorder) Waiting(string, string, time.Duration) {}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Type
	}
	return out
}
