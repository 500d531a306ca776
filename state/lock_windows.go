//go:build windows

package state

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

func tryLock(f *os.File) error {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return ErrLocked
	}
	return err
}

func unlockFile(f *os.File) {
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}

// openStoreLock: Windows cannot lock a directory handle, so every store takes the
// keyed lock file; paths and registry keys are matched ignoring case, as Windows does.
func openStoreLock(target string) (l storeLock, key, on string, err error) {
	return keyedLockFile(target, true)
}

// unlinked: Go opens files without FILE_SHARE_DELETE, so the lock file another run holds
// open cannot be removed (RemoveIfUnused fails and leaves the dir), and the file a
// waiting run locks is always the one at the path.
func unlinked(*os.File) bool { return false }
