package fileutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores"
)

// On Windows a store's path may pass through no symlink and no junction, inside -root or
// not: the path without one reads as usual.
func TestWindowsRootRefusesLinksOnTheWay(t *testing.T) {
	tree := testtool.TempDir(t)
	real := filepath.Join(tree, "srv", "real")
	if err := os.MkdirAll(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "Preferences.xml"), []byte("<Preferences/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := RootAt(tree)
	f, err := root.OpenRegular(root.Path(`\srv\real\Preferences.xml`))
	if err != nil {
		t.Fatalf("a path without links: %v", err)
	}
	f.Close()

	links := map[string]func(link, target string) error{
		"symlink": os.Symlink,
		"junction": func(link, target string) error {
			out, err := exec.Command("cmd", "/c", "mklink", "/J", link, target).CombinedOutput()
			if err != nil {
				return &os.LinkError{Op: "mklink /J " + strings.TrimSpace(string(out)), Old: target, New: link, Err: err}
			}
			return nil
		},
	}
	for kind, mk := range links {
		t.Run(kind, func(t *testing.T) {
			link := filepath.Join(tree, "srv", kind)
			if err := mk(link, real); err != nil {
				t.Skipf("cannot make a %s here: %v", kind, err)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 && fi.Mode()&os.ModeIrregular == 0 {
				// Wine 8 makes a Unix symlink (or nothing, for a junction) that it does not
				// report as a reparse point; on Windows both are.
				t.Skipf("this system does not show the %s as a reparse point (%v)", kind, err)
			}
			for name, r := range map[string]Root{"under -root": root, "this machine's": {}} {
				path := r.Path(`\srv\` + kind + `\Preferences.xml`)
				if r.Dir() == "" {
					path = filepath.Join(link, "Preferences.xml")
				}
				_, err := r.OpenRegular(path)
				if err == nil || !strings.Contains(err.Error(), "symlink or junction") {
					t.Errorf("%s: OpenRegular through a %s: %v, want it refused", name, kind, err)
				}
				if _, err := r.MkdirAll(filepath.Join(filepath.Dir(path), "sub"), 0o700); err == nil {
					t.Errorf("%s: MkdirAll through a %s was not refused", name, kind)
				}
				if err := r.WriteAtomic(path, []byte("x"), stores.FileMeta{Mode: 0o644}); err == nil {
					t.Errorf("%s: WriteAtomic through a %s was not refused", name, kind)
				}
			}
			if got, _ := os.ReadFile(filepath.Join(real, "Preferences.xml")); string(got) != "<Preferences/>" {
				t.Errorf("the file behind the %s was changed: %q", kind, got)
			}
		})
	}
}
