//go:build unix

package fileutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/stores"
)

// eachResolver runs a test with the kernel's openat2 (where there is one) and with the
// component walk that stands in for it elsewhere, so both are held to the same rules.
func eachResolver(t *testing.T, test func(t *testing.T)) {
	t.Run("openat2", func(t *testing.T) {
		if runtime.GOOS != "linux" || !openat2Works() {
			t.Skip("this kernel has no openat2; the walk below is what runs here")
		}
		test(t)
	})
	t.Run("walk", func(t *testing.T) {
		forceWalk.Store(true)
		defer forceWalk.Store(false)
		test(t)
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A tree with links that point out of it: absolute, through .., and through a
// symlinked directory. Inside the root each must land inside the tree.
func TestRootKeepsEveryPathInsideTheTree(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		base := t.TempDir()
		tree := filepath.Join(base, "tree")
		outside := filepath.Join(base, "outside")
		write(t, filepath.Join(outside, "Preferences.xml"), "OUTSIDE")
		// What the outside path means on the tree's own host.
		write(t, filepath.Join(tree, outside, "Preferences.xml"), "INSIDE-ABS")
		write(t, filepath.Join(tree, "Preferences.xml"), "INSIDE-DOTDOT")
		write(t, filepath.Join(tree, "real", "Preferences.xml"), "INSIDE-DIR")

		symlink(t, filepath.Join(outside, "Preferences.xml"), filepath.Join(tree, "srv", "abs", "Preferences.xml"))
		symlink(t, "../../../../../../../../Preferences.xml", filepath.Join(tree, "srv", "dotdot", "Preferences.xml"))
		symlink(t, "/real", filepath.Join(tree, "srv", "dirlink"))
		symlink(t, outside, filepath.Join(tree, "srv", "outdir"))

		root := RootAt(tree)
		for path, want := range map[string]string{
			"/srv/abs/Preferences.xml":         "INSIDE-ABS",
			"/srv/dotdot/Preferences.xml":      "INSIDE-DOTDOT",
			"/srv/dirlink/Preferences.xml":     "INSIDE-DIR",
			"/srv/outdir/Preferences.xml":      "INSIDE-ABS",
			"/srv/../../../../Preferences.xml": "INSIDE-DOTDOT",
		} {
			data, meta, err := root.ReadFile(root.Path(path), MaxFileSize)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			if string(data) != want || meta.Mode != 0o640 {
				t.Errorf("%s reads %q (mode %o), want %q", path, data, meta.Mode, want)
			}
		}

		// A write through the absolute link replaces the tree's file and keeps the link.
		p := root.Path("/srv/abs/Preferences.xml")
		meta, exists, err := root.Stat(p)
		if err != nil || !exists {
			t.Fatalf("stat: %v %v", exists, err)
		}
		if err := root.WriteAtomic(p, []byte("NEW"), meta); err != nil {
			t.Fatal(err)
		}
		if got := readString(t, filepath.Join(outside, "Preferences.xml")); got != "OUTSIDE" {
			t.Errorf("the file outside the tree was rewritten: %q", got)
		}
		if got := readString(t, filepath.Join(tree, outside, "Preferences.xml")); got != "NEW" {
			t.Errorf("the tree's file holds %q", got)
		}
		if fi, err := os.Lstat(filepath.Join(tree, "srv", "abs", "Preferences.xml")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("the link was replaced: %v", err)
		}

		// Resolve (for commands that take a path) lands inside too.
		got, err := root.Resolve(root.Path("/srv/outdir"))
		if err != nil || got != filepath.Join(tree, outside) {
			t.Errorf("Resolve = %q, %v; want %q", got, err, filepath.Join(tree, outside))
		}
	})
}

func TestRootRefusesSymlinkLoops(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		tree := t.TempDir()
		symlink(t, "b", filepath.Join(tree, "a"))
		symlink(t, "/a", filepath.Join(tree, "b"))
		root := RootAt(tree)
		_, _, err := root.ReadFile(root.Path("/a"), MaxFileSize)
		if !errors.Is(err, syscall.ELOOP) {
			t.Fatalf("want ELOOP, got %v", err)
		}
		_, _, err = root.ReadFile(root.Path("/a/x"), MaxFileSize)
		if !errors.Is(err, syscall.ELOOP) {
			t.Fatalf("want ELOOP through a directory, got %v", err)
		}
	})
}

func TestRootMissingFilesAndDirectories(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		tree := t.TempDir()
		root := RootAt(tree)
		for _, p := range []string{"/missing", "/no/such/dir/file"} {
			if _, exists, err := root.Stat(root.Path(p)); exists || err != nil {
				t.Errorf("Stat(%s) = %v, %v; want not there", p, exists, err)
			}
			if _, _, err := root.ReadFile(root.Path(p), MaxFileSize); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadFile(%s): want ErrNotExist, got %v", p, err)
			}
		}
		d, err := root.MkdirAll(root.Path("/var/lib/plexform/backups"), 0o700)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		if fi, err := os.Stat(filepath.Join(tree, "var/lib/plexform/backups")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("MkdirAll made %v, %v", fi, err)
		}
	})
}

// MkdirAll follows a symlinked parent the way the tree's host would: inside the tree.
func TestRootMkdirAllStaysInside(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		base := t.TempDir()
		tree, outside := filepath.Join(base, "tree"), filepath.Join(base, "outside")
		if err := os.MkdirAll(outside, 0o755); err != nil {
			t.Fatal(err)
		}
		symlink(t, outside, filepath.Join(tree, "var", "lib"))
		root := RootAt(tree)
		d, err := root.MkdirAll(root.Path("/var/lib/plexform/backups"), 0o700)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		if _, err := os.Stat(filepath.Join(outside, "plexform")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a directory was made outside the tree: %v", err)
		}
		if fi, err := os.Stat(filepath.Join(tree, outside, "plexform", "backups")); err != nil || !fi.IsDir() {
			t.Errorf("want the directory at the link's target inside the tree: %v", err)
		}
	})
}

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		tree := t.TempDir()
		root := RootAt(tree)
		fifo := filepath.Join(tree, "fifo.xml")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		symlink(t, "/dev/null", filepath.Join(tree, "dev", "null-link.xml")) // inside the tree: missing
		if err := os.Mkdir(filepath.Join(tree, "dir.xml"), 0o755); err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]string{
			fifo:                           "is a named pipe (FIFO), not a regular file",
			filepath.Join(tree, "dir.xml"): "is a directory, not a regular file",
		} {
			done := make(chan error, 1)
			go func() { _, _, err := root.ReadFile(path, MaxFileSize); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
					t.Errorf("%s: want %q, got %v", path, want, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("reading %s blocked", path) // the bug: a FIFO hangs plexform while Plex is stopped
			}
		}
		if _, _, err := root.ReadFile(filepath.Join(tree, "dev", "null-link.xml"), MaxFileSize); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("/dev/null under -root must be the tree's (missing), got %v", err)
		}
	})
	// On this machine's own /, a link to a device is refused before the device is opened.
	link := filepath.Join(t.TempDir(), "Preferences.xml")
	symlink(t, "/dev/null", link)
	if _, _, err := ReadFile(link, MaxFileSize); err == nil || !strings.Contains(err.Error(), "is a character device, not a regular file") {
		t.Errorf("want a device refused, got %v", err)
	}
	if _, _, err := Stat(link); err == nil || !strings.Contains(err.Error(), "character device") {
		t.Errorf("Stat: want a device refused, got %v", err)
	}
}

func TestReadFileSizeCap(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.xml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size is there, the disk blocks are not, so the test stays fast.
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, _, err = ReadFile(huge, MaxFileSize)
	if err == nil || !strings.Contains(err.Error(), "268435457 bytes, more than the 268435456 (256 MiB) plexform reads") {
		t.Fatalf("want the size cap, got %v", err)
	}

	// A large but sane file still reads whole.
	big := filepath.Join(dir, "big.xml")
	if f, err = os.Create(big); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, _, err := ReadFile(big, MaxFileSize)
	if err != nil || len(data) != 50<<20 {
		t.Fatalf("a 50 MiB file: %d bytes, %v", len(data), err)
	}
}

// A run cut short between Stage and Commit leaves a temp file beside the store's real
// file (inside the root); Leftovers finds it there and RemoveLeftover removes only ours.
func TestLeftoversBesideASymlinkedStoreInsideTheRoot(t *testing.T) {
	eachResolver(t, func(t *testing.T) {
		base := t.TempDir()
		tree, outside := filepath.Join(base, "tree"), filepath.Join(base, "outside")
		write(t, filepath.Join(outside, "Preferences.xml"), "OUTSIDE")
		write(t, filepath.Join(outside, TempPrefix("Preferences.xml")+"0123456789ab"), "OUTSIDE-TEMP")
		write(t, filepath.Join(tree, "data", "Preferences.xml"), "INSIDE")
		symlink(t, "/data/Preferences.xml", filepath.Join(tree, "srv", "Preferences.xml"))
		symlink(t, filepath.Join(outside, "Preferences.xml"), filepath.Join(tree, "srv2", "Preferences.xml"))
		root := RootAt(tree)
		store := root.Path("/srv/Preferences.xml")
		p, err := root.Stage(store, []byte("NEW"), stores.FileMeta{UID: -1, GID: -1, Mode: 0o640})
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(p.Temp()) != filepath.Join(tree, "data") {
			t.Errorf("Temp() = %s, want it in %s", p.Temp(), filepath.Join(tree, "data"))
		}
		left, err := root.Leftovers(store)
		if err != nil || len(left) != 1 || left[0] != filepath.Base(p.Temp()) {
			t.Fatalf("Leftovers = %v, %v; want [%s]", left, err, filepath.Base(p.Temp()))
		}
		if err := root.RemoveLeftover(store, "Preferences.xml"); err == nil {
			t.Error("RemoveLeftover removed a name that is not ours")
		}
		if err := root.RemoveLeftover(store, p.Temp()); err != nil {
			t.Fatal(err)
		}
		if left, _ := root.Leftovers(store); len(left) != 0 {
			t.Errorf("still left: %v", left)
		}
		// The outside dir's temp-looking file is not the tree's business.
		if left, err := root.Leftovers(root.Path("/srv2/Preferences.xml")); err == nil && len(left) != 0 {
			t.Errorf("Leftovers looked outside the tree: %v", left)
		}
		if got := readString(t, filepath.Join(outside, TempPrefix("Preferences.xml")+"0123456789ab")); got != "OUTSIDE-TEMP" {
			t.Errorf("outside temp changed: %q", got)
		}
	})
}
