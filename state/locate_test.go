package state

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/fileutil"
)

// Locate is the one place that says where the state directory lies: the plan's
// backups.dir, relative to the plan file, or the OS's default, inside -root when given.
func TestLocate(t *testing.T) {
	tree := t.TempDir()
	planAt := func(t *testing.T, file, dir string) *plan.Plan {
		t.Helper()
		text := "version: 1\nresources: []\n"
		if dir != "" {
			text = "version: 1\nbackups:\n  dir: " + dir + "\nresources: []\n"
		}
		p, err := plan.Decode(file, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	abs := filepath.Join(t.TempDir(), "backups")
	for _, tc := range []struct {
		name string
		p    *plan.Plan
		root string
		want string
	}{
		{"no plan", nil, "", DefaultPath()},
		{"no plan, under -root", nil, tree, plan.RootedPath(tree, DefaultPath())},
		{"a plan without backups.dir", planAt(t, "/srv/plexform.yaml", ""), "", DefaultPath()},
		{"an absolute backups.dir", planAt(t, "/srv/plexform.yaml", abs), "", abs},
		{"an absolute backups.dir under -root", planAt(t, "/srv/plexform.yaml", abs), tree, filepath.Join(tree, abs)},
		{"a relative backups.dir follows the plan file", planAt(t, "/srv/plans/plexform.yaml", "state"), "", filepath.FromSlash("/srv/plans/state")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Locate(tc.p, tc.root)
			if err != nil {
				t.Fatal(err)
			}
			if d.Path != tc.want {
				t.Errorf("Path = %s, want %s", d.Path, tc.want)
			}
			if d.Root != fileutil.RootAt(tc.root) {
				t.Errorf("Root = %v, want the -root %q", d.Root, tc.root)
			}
		})
	}
	t.Run("a relative backups.dir that climbs out of the tree the plan lies in", func(t *testing.T) {
		p := planAt(t, filepath.Join(tree, "srv", "plexform.yaml"), "../../../state")
		_, err := Locate(p, tree)
		if err == nil || !strings.Contains(err.Error(), p.File+": backups.dir: ") {
			t.Errorf("Locate = %v, want an error naming the plan file and backups.dir", err)
		}
	})
}

// The default follows the OS's habit for program state.
func TestDefaultPath(t *testing.T) {
	switch {
	case runtime.GOOS == "windows" || runtime.GOOS == "darwin":
		t.Skip("the Windows and macOS defaults are read from the environment of a real user there")
	case os.Geteuid() == 0:
		if got := DefaultPath(); got != "/var/lib/plexform/backups" {
			t.Errorf("as root: %s, want /var/lib/plexform/backups", got)
		}
	default:
		state := t.TempDir()
		t.Setenv("XDG_STATE_HOME", state)
		if got, want := DefaultPath(), filepath.Join(state, "plexform", "backups"); got != want {
			t.Errorf("with XDG_STATE_HOME: %s, want %s", got, want)
		}
	}
}
