package discover

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Under -root, discovery reads the tree as its own host would: a symlinked data dir or
// EnvironmentFile with an absolute target is followed inside the tree, never out of it.
func TestDiscoveryStaysInsideTheRoot(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	root := filepath.Join(base, "tree")
	mk := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, at string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, at); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the tree: a Plex install and an environment file naming it.
	mk(filepath.Join(outside, "Library/Application Support/Plex Media Server/Preferences.xml"), prefsXML)
	mk(filepath.Join(outside, "plex.env"), EnvAppSupport+"="+filepath.Join(outside, "Library/Application Support")+"\n")
	// In the tree: Debian's data dir and a unit's EnvironmentFile, both absolute links to
	// those outside paths.
	link(outside, filepath.Join(root, "var/lib/plexmediaserver"))
	mk(filepath.Join(root, "lib/systemd/system/plexmediaserver.service"), "[Service]\nEnvironmentFile="+filepath.Join(outside, "plex.env")+"\n")

	s, looked, err := FindSettings(Options{Root: root, GOOS: "linux", Getenv: noEnv})
	if err == nil {
		t.Fatalf("found %s (%s) through a link out of the tree", s.Path, s.How)
	}
	for _, l := range looked {
		if strings.Contains(l.What, "found") && !strings.HasPrefix(l.Where, root) {
			t.Errorf("looked at %s outside the tree: %s", l.Where, l.What)
		}
	}

	// The same links find the tree's own copy when the tree has one.
	mk(filepath.Join(root, outside, "Library/Application Support/Plex Media Server/Preferences.xml"), prefsXML)
	s, _, err = FindSettings(Options{Root: root, GOOS: "linux", Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml"); s.Path != want {
		t.Errorf("found %s, want %s", s.Path, want)
	}
}
