//go:build unix

package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores/fileutil"
)

// Under -root the default backups dir lies in the tree; a symlinked parent there (root's
// own, so the host walk would trust it) means the tree's path, and the missing
// directories are made inside the tree, never outside it.
func TestBackupsDirParentsAreMadeInsideTheRoot(t *testing.T) {
	for name, link := range map[string]func(outside string) string{
		"absolute link": func(outside string) string { return outside },
		"climbing link": func(outside string) string { return "../../../../../../../../" + outside },
	} {
		t.Run(name, func(t *testing.T) {
			work := t.TempDir()
			tree := filepath.Join(work, "tree")
			outside := filepath.Join(work, "outside")
			mustMkdir(t, tree, 0o755)
			mustMkdir(t, outside, 0o755)
			if err := os.Symlink(link(outside), filepath.Join(tree, "var")); err != nil {
				t.Fatal(err)
			}
			root := fileutil.RootAt(tree)
			b := &Dir{Path: root.Path("/var/lib/plexform/backups"), Root: root}
			if err := b.WriteFile("state", []byte("x")); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			defer b.Close()
			inTree := filepath.Join(tree, outside, "lib", "plexform", "backups")
			if got, err := os.ReadFile(filepath.Join(inTree, "state")); err != nil || string(got) != "x" {
				t.Errorf("the state file is not in the tree's %s: %q, %v", inTree, got, err)
			}
			if fi, err := os.Stat(inTree); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("the backups dir in the tree: %v, %v (want mode 0700)", fi, err)
			}
			if _, err := os.Lstat(filepath.Join(outside, "lib")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a directory was made outside the tree (%v)", err)
			}
			if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o755 {
				t.Errorf("the outside dir was chmodded to %04o", fi.Mode().Perm())
			}
		})
	}
}

// Without create, a missing backups dir in the tree is "nothing there", and the dir
// itself may not be a link even inside the tree.
func TestBackupsDirInsideTheRootRefusesALinkedDir(t *testing.T) {
	tree := t.TempDir()
	root := fileutil.RootAt(tree)
	b := &Dir{Path: root.Path("/var/backups"), Root: root}
	if list, err := b.List(); err != nil || len(list) != 0 {
		t.Fatalf("List of a missing dir: %v, %v", list, err)
	}
	mustMkdir(t, filepath.Join(tree, "var", "real"), 0o700)
	if err := os.Symlink("real", filepath.Join(tree, "var", "backups")); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFile("state", []byte("x")); !errors.Is(err, ErrUntrustedDir) {
		t.Errorf("WriteFile through a linked backups dir: %v, want it refused", err)
	}
}

// Under -root the files of the tree belong to the tree's users: the owner a trust check
// names is spelled from the tree's /etc/passwd, as every other owner under -root is
// (fileutil.Root.DescribeUser), while the user who runs plexform is this machine's.
func TestOwnersUnderRootAreNamedFromTheTree(t *testing.T) {
	if os.Geteuid() != 0 {
		testtool.Unavailable(t, "needs root to give the directory and its files another owner")
	}
	const treeUID = 4242
	setUp := func(t *testing.T) (*Dir, string) {
		t.Helper()
		tree := t.TempDir()
		mustMkdir(t, filepath.Join(tree, "etc"), 0o755)
		// The tree names uid 0 otherwise than this machine does: the runner is still
		// named from this machine's accounts.
		passwd := "toor:x:0:0::/root:/bin/sh\ntreeplex:x:4242:4242::/nonexistent:/usr/sbin/nologin\n"
		if err := os.WriteFile(filepath.Join(tree, "etc", "passwd"), []byte(passwd), 0o644); err != nil {
			t.Fatal(err)
		}
		root := fileutil.RootAt(tree)
		path := root.Path("/var/lib/plexform/backups")
		mustMkdir(t, path, 0o700)
		return &Dir{Path: path, Root: root}, path
	}
	runner := fileutil.DescribeUser(os.Geteuid())

	t.Run("the dir", func(t *testing.T) {
		b, path := setUp(t)
		if err := os.Chown(path, treeUID, treeUID); err != nil {
			t.Fatal(err)
		}
		_, err := b.Lock(0)
		want := "belongs to treeplex (uid 4242), not to " + runner + " who runs plexform"
		if !errors.Is(err, ErrUntrustedDir) || !strings.Contains(err.Error(), want) {
			t.Errorf("a backups dir of the tree's uid %d: %v, want %q", treeUID, err, want)
		}
	})
	t.Run("a state file", func(t *testing.T) {
		b, path := setUp(t)
		defer b.Close()
		if err := b.WriteFile("claims-used.json", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Join(path, "claims-used.json"), treeUID, treeUID); err != nil {
			t.Fatal(err)
		}
		_, err := b.ReadFile("claims-used.json", 1<<10)
		want := "belongs to treeplex (uid 4242), not to " + runner + " who runs plexform"
		if !errors.Is(err, ErrUntrustedDir) || !strings.Contains(err.Error(), want) {
			t.Errorf("a state file of the tree's uid %d: %v, want %q", treeUID, err, want)
		}
	})
}
