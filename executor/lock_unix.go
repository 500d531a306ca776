//go:build unix

package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

func tryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}

func unlockFile(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// storeLockFile opens what locks one store: its directory for a file path (see
// LockStores), the keyed lock file otherwise. nil, no error: nothing to lock.
func storeLockFile(target string) (f *os.File, key, on string, err error) {
	if !filepath.IsAbs(target) {
		return keyedLockFile(target, false)
	}
	path := target
	if resolved, err := filepath.EvalSymlinks(target); err == nil {
		path = resolved
	}
	dir := filepath.Dir(path)
	// Opened read-only and only to be locked: nothing is read or written through it.
	f, err = os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", "", nil
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("lock %s: %w", target, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", "", fmt.Errorf("lock %s: %w", target, err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return f, fmt.Sprintf("d:%020d:%020d", uint64(st.Dev), uint64(st.Ino)), dir, nil
}
