package host

import (
	"context"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

// TestPlexResetBindsOnEveryPlatformTree binds examples/plex-reset.yaml to the host tree
// of every platform row, as that row's OS would: the store is the file discovery finds
// (with its own kind recorded for backups), and the diff removes what the file holds.
func TestPlexResetBindsOnEveryPlatformTree(t *testing.T) {
	p, err := plan.Load("../examples/plex-reset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	for _, pf := range discovertest.Platforms {
		if pf.Want.SettingsErr != "" || pf.Want.ServiceErr != "" {
			continue // the CLI test checks what these rows say
		}
		t.Run(pf.Name, func(t *testing.T) {
			root := discovertest.Tree(t, pf.Files)
			h, err := Open(p, Options{Root: root, GOOS: pf.GOOS, Getenv: noEnv})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			s := h.Store("prefs")
			if s.Kind != pf.Want.Kind || s.Store.Target() != plan.RootedPath(root, pf.Want.Path) || s.Found == "" {
				t.Errorf("store %s %s (found: %q), want %s %s", s.Kind, s.Store.Target(), s.Found, pf.Want.Kind, pf.Want.Path)
			}
			if h.ServiceByName("plex").Found == "" {
				t.Error("the service does not say how it was found")
			}
			rc, err := s.Diff(context.Background())
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			if rc.Kind != pf.Want.Kind {
				t.Errorf("the diff records kind %s, want the concrete %s", rc.Kind, pf.Want.Kind)
			}
			if _, _, removed := (&plan.Changes{Resources: []*plan.ResourceChange{rc}}).Summary(); removed != 4 {
				t.Errorf("%d values to remove, want the 4 sign-in values", removed)
			}
		})
	}
}
