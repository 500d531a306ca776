//go:build unix

package service_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
)

// TestConformanceS6 runs the suite on the s6 manager against a real s6-supervise (the
// supervisor of Plex's Docker images), which restarts a program that exits, a second
// after it did (s6-supervise(8), skarnet.org).
func TestConformanceS6(t *testing.T) {
	servicetest.Run(t, servicetest.Harness{Restarts: true, UpWhileProcessExists: true, New: func(t *testing.T, p servicetest.Program) stores.Service {
		dir := filepath.Join(t.TempDir(), "svc")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// A down file keeps the supervisor from starting the program by itself, as the
		// suite wants a stopped service to begin with.
		if err := os.WriteFile(filepath.Join(dir, "down"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		plexsimtest.Supervise(t, dir, p.Argv)
		svc, err := service.New(service.Config{Manager: "s6", Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		// The state is readable once the supervisor has written it.
		deadline := time.Now().Add(time.Minute)
		for _, err := svc.Running(context.Background()); err != nil; _, err = svc.Running(context.Background()) {
			if time.Now().After(deadline) {
				t.Fatalf("s6-supervise never reported the service's state: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return svc
	}})
}
