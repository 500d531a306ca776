package state

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/fileutil"
)

// Locate is the state directory of a plan: its backups.dir (relative to the plan file),
// or else the default for this OS (DefaultPath), inside root when one is given (-root).
// A nil plan has the default. Under -root the directories on the way are made and
// followed inside the tree (Dir.Root).
func Locate(p *plan.Plan, root string) (*Dir, error) {
	dir := ""
	if p != nil {
		dir = p.Backups.Dir
	}
	if dir == "" {
		return &Dir{Path: plan.RootedPath(root, DefaultPath()), Root: fileutil.RootAt(root)}, nil
	}
	path, err := p.HostPath(root, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: backups.dir: %w", p.File, err)
	}
	return &Dir{Path: path, Root: fileutil.RootAt(root)}, nil
}

// DefaultPath is where the state directory lies when the plan does not say, following
// each OS's habit for program state: %LOCALAPPDATA% on Windows, Application Support on
// macOS, /var/lib for root and the XDG state dir for a user elsewhere.
func DefaultPath() string {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "plexform", "backups")
		}
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, "Library", "Application Support", "plexform", "backups")
		}
	}
	if os.Geteuid() == 0 {
		return "/var/lib/plexform/backups"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "plexform", "backups")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "plexform", "backups")
	}
	return filepath.Join(os.TempDir(), "plexform-backups")
}
