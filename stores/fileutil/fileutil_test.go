//go:build unix

package fileutil

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/stores"
)

func TestWriteAtomicKeepsASymlinkAndWritesItsTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.xml")
	link := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(target, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.xml", link); err != nil {
		t.Fatal(err)
	}
	meta, _, err := Stat(link)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(link, []byte("new"), meta); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	got, _ := os.ReadFile(target)
	if string(got) != "new" {
		t.Errorf("target holds %q", got)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
		t.Errorf("target mode %o", fi.Mode().Perm())
	}
}

func TestWriteAtomicKeepsSpecialBitsAndLeavesNoTempOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteAtomic(path, []byte("x"), stores.FileMeta{UID: -1, GID: -1, Mode: uint32(0o640 | os.ModeSetgid)}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode()&os.ModeSetgid == 0 || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	if err := WriteAtomic(filepath.Join(dir, "missing-dir", "f"), []byte("x"), stores.FileMeta{UID: -1, GID: -1, Mode: 0o600}); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
