package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

// refuseReparse is Root's only link check on Windows, where Wine cannot show a link to
// it (scripts/wine-test.sh skips those cases); its walk is the same on every system, so
// it is tested here with the symlinks this system has (Go reports a Windows junction as
// a symlink too).
func TestRefuseReparseFindsALinkAnywhereOnTheWay(t *testing.T) {
	base := testtool.TempDir(t)
	if err := os.MkdirAll(filepath.Join(base, "srv", "real", "plex"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(base, "srv", "link")); err != nil {
		t.Skipf("cannot make a symlink here: %v", err)
	}
	if err := os.Symlink("Preferences.xml", filepath.Join(base, "srv", "real", "plex", "last")); err != nil {
		t.Fatal(err)
	}
	for rel, refused := range map[string]bool{
		filepath.Join("srv", "real", "plex", "Preferences.xml"): false, // no link, file missing
		filepath.Join("srv", "link", "plex", "Preferences.xml"): true,  // a linked directory
		filepath.Join("srv", "real", "plex", "last"):            true,  // the last component
		filepath.Join("srv", "missing", "x"):                    false, // for the open to report
	} {
		err := refuseReparse(base, rel, rel)
		if got := err != nil; got != refused {
			t.Errorf("%s: %v, want refused=%v", rel, err, refused)
		}
		if err != nil && !strings.Contains(err.Error(), "symlink or junction") {
			t.Errorf("%s: %v does not say why", rel, err)
		}
	}
}
