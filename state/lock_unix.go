//go:build unix

package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/plexform/plexform/stores/fileutil"
)

func tryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}

func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// openStoreLock opens what locks one store: its directory for a file path (see
// LockStores), the keyed lock file otherwise. nil, no error: nothing to lock.
func openStoreLock(target string) (l storeLock, key, on string, err error) {
	if !filepath.IsAbs(target) {
		return keyedLockFile(target, false)
	}
	path := target
	if resolved, err := filepath.EvalSymlinks(target); err == nil {
		path = resolved
	}
	dir := filepath.Dir(path)
	// Opened read-only, to be locked. The write staged in this directory shares the
	// descriptor (only when its own resolution finds the same directory), so a store
	// costs one open file, not two.
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", "", nil
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("lock %s: %w", target, err)
	}
	hold, err := fileutil.HoldDir(f)
	if err != nil {
		return nil, "", "", fmt.Errorf("lock %s: %w", target, err)
	}
	dev, ino := hold.Identity()
	return hold, fmt.Sprintf("d:%020d:%020d", dev, ino), dir, nil
}

// unlinked reports whether the open file f has been removed from every directory.
func unlinked(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
