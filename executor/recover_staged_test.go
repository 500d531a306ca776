//go:build unix

package executor

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/stores/fileutil"
)

// Under -root, the store's directory may be an absolute symlink, which means that path in
// the tree. The staged file is removed there, not in the directory of that name on this
// machine, and a symlink planted at the staged name is removed without being followed.
func TestRemoveStagedResolvesInsideTheRoot(t *testing.T) {
	work := t.TempDir()
	tree := filepath.Join(work, "tree")
	outside := filepath.Join(work, "outside") // the link's target spelled as on the tree's host
	inTree := filepath.Join(tree, outside)
	for _, d := range []string{filepath.Join(tree, "srv"), inTree, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(tree, "srv", "plex")); err != nil {
		t.Fatal(err)
	}
	root := fileutil.RootAt(tree)
	target := root.Path("/srv/plex/Preferences.xml")
	name := fileutil.TempPrefix("Preferences.xml") + "0123456789ab"
	for _, p := range []string{filepath.Join(inTree, name), filepath.Join(outside, name)} {
		if err := os.WriteFile(p, []byte("<Preferences/>"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if err := removeStaged(root, filepath.Join(inTree, name), target); err != nil {
		t.Fatalf("removeStaged: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(inTree, name)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the staged file in the tree is still there (%v)", err)
	}
	if _, err := os.Lstat(filepath.Join(outside, name)); err != nil {
		t.Errorf("the file of that name outside the tree was touched: %v", err)
	}

	// A symlink planted where the next staged file would be: the link goes, its target stays.
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(inTree, fileutil.TempPrefix("Preferences.xml")+"feedfacecafe")
	if err := os.Symlink(victim, planted); err != nil {
		t.Fatal(err)
	}
	if err := removeStaged(root, planted, target); err != nil {
		t.Fatalf("removeStaged of a planted link: %v", err)
	}
	if _, err := os.Lstat(planted); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the planted link is still there (%v)", err)
	}
	if got, err := os.ReadFile(victim); err != nil || string(got) != "keep" {
		t.Errorf("the link's target changed: %q, %v", got, err)
	}

	// A name that is not one of ours is left alone, wherever the journal says it is.
	other := filepath.Join(inTree, "Preferences.xml.bak")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := removeStaged(root, other, target); err == nil {
		t.Error("removeStaged removed a name plexform does not use")
	}
	if _, err := os.Lstat(other); err != nil {
		t.Errorf("a name that is not ours was removed: %v", err)
	}
}
