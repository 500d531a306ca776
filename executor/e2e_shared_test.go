package executor_test

// What the end-to-end tests share across platforms: the Unix ones (e2e_helpers_test.go)
// and the Windows app's under Wine (wine_windows_test.go).

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
)

// simToken is the made-up token of the simulated host. Tests compare against it but
// never print it.
const simToken = "tok-e2e-secret-5Jq9"

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

// applyIn binds the plan yaml, as a plexform.yaml in dir, to this host and applies it
// with backups in backups, as `plexform apply` does.
func applyIn(tb testing.TB, dir, backups, yaml string, obs executor.Observer) (*executor.Result, error) {
	tb.Helper()
	file := filepath.Join(dir, "plexform.yaml")
	p, err := plan.Decode(file, []byte(yaml))
	if err != nil {
		tb.Fatalf("decode the test plan: %v", err)
	}
	bound, err := host.Open(p, host.Options{GOOS: runtime.GOOS})
	if err != nil {
		tb.Fatalf("bind the test plan: %v", err)
	}
	return executor.Apply(context.Background(), bound, executor.Options{
		Backups: &state.Dir{Path: backups}, Keep: plan.DefaultKeep, PlanFile: file, Version: "test", Observer: obs,
	})
}

// moveService starts (up) or stops svc as a person would, outside any apply, and waits
// until it is there.
func moveService(tb testing.TB, svc stores.Service, up bool) {
	tb.Helper()
	ctx := context.Background()
	act := svc.Stop
	if up {
		act = svc.Start
	}
	if err := act(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := service.WaitFor(ctx, svc, up, waitLimit, nil); err != nil {
		tb.Fatal(err)
	}
}

// serviceRunning is svc's state, failing the test when it cannot be read.
func serviceRunning(tb testing.TB, svc stores.Service) bool {
	tb.Helper()
	up, err := svc.Running(context.Background())
	if err != nil {
		tb.Fatalf("the state of %s: %v", svc.Describe(), err)
	}
	return up
}
