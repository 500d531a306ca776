//go:build unix

package fileutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/plexform/plexform/stores"
)

func holdForLock(t *testing.T, dir string) *DirHold {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := HoldDir(f)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func isOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

// A write staged in a directory that a lock holds uses the lock's descriptor, and keeps
// it open after the lock lets go, until the write is durable.
func TestStageSharesTheLockedDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(path, []byte("<Preferences/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock := holdForLock(t, dir)
	p, err := Stage(path, []byte(`<Preferences A="1"/>`), stores.FileMeta{Path: path, UID: -1, GID: -1, Mode: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	if p.dir.hold.dir != lock.dir {
		t.Fatal("the staged write opened the directory a second time")
	}
	fd := lock.fd()
	lock.Release()
	lock.Release() // a second release of one hold must not take the write's share
	if !isOpen(fd) {
		t.Fatal("releasing the lock closed the directory the staged write still needs")
	}
	if err := p.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Durable(); err != nil {
		t.Fatal(err)
	}
	if isOpen(fd) {
		t.Error("the directory is still open after the last hold was released")
	}
	if got, _ := os.ReadFile(path); string(got) != `<Preferences A="1"/>` {
		t.Errorf("file holds %q", got)
	}
	heldDirs.mu.Lock()
	defer heldDirs.mu.Unlock()
	if len(heldDirs.m) != 0 {
		t.Errorf("%d directories still offered for sharing", len(heldDirs.m))
	}
}

// A second lock on a held directory gets a descriptor of its own, so flock still keeps
// two lockers in one process apart.
func TestSecondHoldStaysPrivate(t *testing.T) {
	dir := t.TempDir()
	first, second := holdForLock(t, dir), holdForLock(t, dir)
	defer first.Release()
	defer second.Release()
	if first.dir == second.dir || first.fd() == second.fd() {
		t.Fatal("two holds for locks share one descriptor")
	}
	if err := syscall.Flock(first.fd(), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(second.fd(), syscall.LOCK_EX|syscall.LOCK_NB); !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Errorf("second lock on the directory: %v, want EWOULDBLOCK", err)
	}
	dev1, ino1 := first.Identity()
	dev2, ino2 := second.Identity()
	if dev1 != dev2 || ino1 != ino2 {
		t.Error("one directory, two identities")
	}
}

// Without a lock, a staged write holds its directory itself and closes it when done.
func TestStageWithoutALockHoldsItsOwn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Preferences.xml")
	p, err := Stage(path, []byte("<Preferences/>"), stores.FileMeta{Path: path, UID: -1, GID: -1, Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	fd := p.dir.fd()
	if err := p.Discard(); err != nil {
		t.Fatal(err)
	}
	if isOpen(fd) {
		t.Error("a discarded write left its directory open")
	}
}

func TestHoldDirRefusesAFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := HoldDir(f); err == nil {
		t.Fatal("a regular file was held as a directory")
	}
}
