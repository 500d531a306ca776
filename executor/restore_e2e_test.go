//go:build unix

package executor_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/state"
)

// A restore with the plan's service stops the server, puts the backup back, and starts
// it again: the server comes up signed in, with the file exactly as backed up.
func TestRestoreUnderS6PutsTheSignInBack(t *testing.T) {
	sim := superviseSim(t, "")
	yaml := sim.planYAML(planOpts{})
	res, err := sim.apply(t, yaml, &recorder{})
	if err != nil || len(res.Backups) != 1 {
		t.Fatalf("apply: %v (backups %v)", err, res)
	}
	if identity(t, sim).Claimed {
		t.Fatal("the reset did not unclaim the server")
	}
	backup, err := os.ReadFile(filepath.Join(sim.backups, res.Backups[0].File))
	if err != nil {
		t.Fatal(err)
	}

	p, err := plan.Decode(filepath.Join(sim.dir, "plexform.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	bound, err := host.Open(p, host.Options{GOOS: runtime.GOOS})
	if err != nil {
		t.Fatal(err)
	}
	prefs := bound.Store("prefs")
	rec := &recorder{}
	restored, err := executor.Restore(context.Background(), prefs.Store, prefs.Service, res.Backups[0].ID,
		executor.Options{Backups: &state.Dir{Path: sim.backups}, Keep: plan.DefaultKeep, Version: "test", Observer: rec})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	want := []string{executor.EventStopping, executor.EventStopped, executor.EventRestored, executor.EventStarting, executor.EventStarted}
	if got := rec.types(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if got := sim.readPrefs(t); got != string(backup) {
		t.Errorf("Preferences.xml after the restore is not the backup:\n%s", got)
	}
	// s6 says up once the process runs; the server answers a moment later.
	if _, err := (&signin.Server{URL: "http://" + sim.listen}).WaitReachable(context.Background(), waitLimit); err != nil {
		t.Fatal(err)
	}
	if restored.Before == nil || !sim.running(t) || !identity(t, sim).Claimed {
		t.Errorf("after the restore: undo backup %v, running %v; want an undo backup and a claimed server", restored.Before, sim.running(t))
	}
}
