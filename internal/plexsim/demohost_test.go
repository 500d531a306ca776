package plexsim

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/plexform/plexform/host" // hands stores/service's managers to plan, as the program does
	"github.com/plexform/plexform/plan"
)

// TestDemoHostMake: a demo host is a signed-in Preferences.xml and a plan that decodes,
// removes exactly the sign-in and drives the simulator through the supervisor's
// commands of the executable it copied; Remove leaves nothing behind.
func TestDemoHostMake(t *testing.T) {
	self := filepath.Join(t.TempDir(), "plexform")
	if err := os.WriteFile(self, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := NewDemoHost(self)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(h.Dir) })
	if h.Self != filepath.Join(h.Dir, "bin", "plexform") {
		t.Errorf("the host runs %s, not its own copy", h.Self)
	}
	if err := h.Make(); err != nil {
		t.Fatal(err)
	}
	present, err := h.SignIn()
	if err != nil || !slices.Equal(present, plan.SignInValues) {
		t.Errorf("signed in with %v, %v; want %v", present, err, plan.SignInValues)
	}
	data, err := os.ReadFile(h.PlanFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Decode(h.PlanFile, data)
	if err != nil {
		t.Fatalf("the demo's plan does not decode: %v\n%s", err, data)
	}
	for _, cmd := range []string{PidfileStartCommand, PidfileStopCommand, PidfileStatusCommand, SimulatorCommand, h.Listen} {
		if !strings.Contains(string(data), cmd) {
			t.Errorf("the plan does not name %s:\n%s", cmd, data)
		}
	}
	if len(p.Resources) != 2 {
		t.Errorf("the plan has %d resources, want the prefs and its service", len(p.Resources))
	}
	if err := h.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.Dir); !os.IsNotExist(err) {
		t.Errorf("Remove left %s: %v", h.Dir, err)
	}
}
