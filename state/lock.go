package state

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrLocked means another apply holds the backups directory or a store.
var ErrLocked = errors.New("locked")

const lockName = ".lock"

// Lock takes the backups directory's lock, so two applies never run at once against the
// same backups. The OS releases it when the process dies, so a killed apply leaves no
// stale lock behind. wait > 0 keeps trying that long. The lock file is opened inside the
// trusted directory without following a symlink, and must be a regular file of this
// user's. Once the lock is held, the directory is listed again: the index is the
// directory as it is under the lock.
func (b *Dir) Lock(wait time.Duration) (unlock func(), err error) {
	deadline := time.Now().Add(wait)
	for tries := 0; ; tries++ {
		unlock, gone, err := b.lockOnce(max(time.Until(deadline), 0))
		if !gone {
			return unlock, err
		}
		// The run this one waited for had made the dir, changed nothing and removed the
		// dir again, lock file and all (RemoveIfUnused), before it let go: the lock just taken
		// is on a file no other run can open any more. Start again from the path.
		_ = b.Close()
		if tries == maxLockRetries {
			return nil, fmt.Errorf("lock %s: its lock file was removed %d times while this run waited for it; run again: %w", b.Path, tries+1, ErrLocked)
		}
	}
}

// RemoveIfUnused removes the directory when its lock file is all it holds, and reports
// whether it did: a run that made the directory to take its lock, then changed nothing
// (a refusal, no changes), leaves no empty state directory behind. Call it while the
// lock is still held, and Close the Dir once it is let go when it reports true.
func (b *Dir) RemoveIfUnused() bool {
	entries, err := os.ReadDir(b.Path)
	if err != nil || len(entries) != 1 || entries[0].Name() != lockName {
		return false
	}
	return os.Remove(filepath.Join(b.Path, lockName)) == nil && os.Remove(b.Path) == nil
}

// maxLockRetries bounds Lock's fresh starts: each needs a run that made the dir and
// removed it again, and only plexform itself removes it.
const maxLockRetries = 100

// lockOnce is one try of Lock; gone reports a lock taken on a lock file that was
// removed meanwhile (it is then let go).
func (b *Dir) lockOnce(wait time.Duration) (unlock func(), gone bool, err error) {
	d, err := b.open(true)
	if err != nil {
		return nil, false, err
	}
	f, err := d.open(lockName, os.O_RDWR|os.O_CREATE|openNonblock, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w (plexform makes it as a plain file; remove whatever is there)", d.join(lockName), err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || !ownedByMe(fi) {
		f.Close()
		return nil, false, fmt.Errorf("lock %s: not a plain file of this user's; remove it (plexform makes a new one): %w", d.join(lockName), ErrUntrustedDir)
	}
	holder, err := acquireBackupsLock(f, wait)
	if err != nil {
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, false, fmt.Errorf("another plexform apply%s is running against %s; wait for it to finish or pass -lock-timeout: %w", holder, b.Path, ErrLocked)
		}
		return nil, false, fmt.Errorf("lock %s: %w", d.join(lockName), err)
	}
	if unlinked(f) {
		unlockFile(f)
		f.Close()
		return nil, true, nil
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	b.idx = nil
	return func() {
		_ = f.Truncate(0)
		unlockFile(f)
		f.Close()
	}, false, nil
}

// acquire takes f's lock, trying until wait has passed, with a growing pause.
func acquire(f *os.File, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		err := tryLock(f)
		if err == nil || !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(min(delay, time.Until(deadline)+time.Millisecond))
	}
}

// acquireBackupsLock takes the backups dir's lock, or says who holds it. The holder
// writes its pid just after it takes the lock and empties the file just before it lets
// go, so a look between the two finds the lock held and no pid (under load, one refusal
// in a few hundred named no one). An empty file is looked at again for a moment, and
// the lock tried again, since it may just have been let go.
func acquireBackupsLock(f *os.File, wait time.Duration) (holder string, err error) {
	err = acquire(f, wait)
	for tries := 0; errors.Is(err, ErrLocked) && tries < holderTries; tries++ {
		if holder = lockHolder(f); holder != "" {
			break
		}
		time.Sleep(time.Millisecond)
		err = tryLock(f)
	}
	return holder, err
}

// holderTries bounds acquireBackupsLock's second looks, a millisecond apart: the pid is
// written right after the flock, so even on a busy machine it is there long before.
const holderTries = 100

// lockHolder is " (pid N)" from the lock file, shown only when it is a number: the
// file is plexform's, but its content is still not echoed to a terminal.
func lockHolder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return ""
	}
	return " (pid " + strconv.Itoa(pid) + ")"
}

// LockStores locks each store target against every other plexform run, whatever
// backups dir that run uses, and keeps the locks until unlock is called (or the process
// dies). Call it after Lock and before the first read that a write depends on; a
// target whose directory does not exist needs no lock (nothing will be written there).
//
// On unix a file store is locked with flock(2) on its directory (after its symlinks
// are resolved, as the write resolves them): keyed by the directory itself rather than
// by a spelling of its path, so runs that reach one file through -root, a bind mount or
// a symlink still exclude each other, runs as root and as plex exclude each other, and
// no lock file is left anywhere. Stores in one directory share the lock (they are one
// Plex install). Other targets (a registry key, a defaults domain) and every target on
// Windows lock a file named from a hash of the target in the user's own lock dir
// (os.UserCacheDir()/plexform/locks), which those per-user stores share with nothing.
func LockStores(targets []string, wait time.Duration) (unlock func(), err error) {
	type held struct {
		key  string
		lock storeLock
		on   string
	}
	var locks []held
	seen := map[string]bool{} // keys already in locks: a set, as plans may hold thousands of stores
	release := func() {
		for i := len(locks) - 1; i >= 0; i-- {
			unlockFile(locks[i].lock.File())
			locks[i].lock.Release()
		}
	}
	for _, t := range targets {
		l, key, on, err := openStoreLock(t)
		if err != nil {
			release()
			return nil, err
		}
		if l == nil || seen[key] {
			if l != nil {
				l.Release()
			}
			continue
		}
		seen[key] = true
		locks = append(locks, held{key, l, on})
	}
	// One order for every run, so two runs waiting for overlapping stores cannot deadlock.
	slices.SortFunc(locks, func(a, b held) int { return strings.Compare(a.key, b.key) })
	for i, h := range locks {
		if err := acquire(h.lock.File(), wait); err != nil {
			for _, later := range locks[i:] {
				later.lock.Release()
			}
			locks = locks[:i]
			release()
			if errors.Is(err, ErrLocked) {
				return nil, fmt.Errorf("another plexform run is changing %s (it holds the lock on %s); wait for it to finish or pass -lock-timeout: %w", h.on, h.on, ErrLocked)
			}
			return nil, fmt.Errorf("lock %s: %w", h.on, err)
		}
	}
	return release, nil
}

// storeLock is what one store's lock is taken on: a directory held open (shared with
// the write staged in it, see fileutil.HoldDir) or a lock file of plexform's own.
type storeLock interface {
	File() *os.File
	Release()
}

// lockFile is a keyed lock file, closed on Release.
type lockFile struct{ f *os.File }

func (l lockFile) File() *os.File { return l.f }
func (l lockFile) Release()       { l.f.Close() }

// keyedLockFile opens the lock file of a target that is not a file path: a name made
// from the target's hash, in the user's lock dir, which is trusted like a backups dir.
func keyedLockFile(target string, fold bool) (l storeLock, key, on string, err error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return nil, "", "", fmt.Errorf("lock %s: no directory for locks: %w", target, err)
	}
	d, err := openTrustedDir(filepath.Join(base, "plexform", "locks"), true)
	if err != nil {
		return nil, "", "", fmt.Errorf("lock %s: %w", target, err)
	}
	defer d.close()
	k := target
	if fold {
		k = strings.ToLower(k)
	}
	sum := sha256.Sum256([]byte(k))
	name := "store-" + hex.EncodeToString(sum[:16]) + ".lock"
	f, err := d.open(name, os.O_RDWR|os.O_CREATE|openNonblock, 0o600)
	if err != nil {
		return nil, "", "", fmt.Errorf("lock %s: %w", target, err)
	}
	return lockFile{f}, "k:" + name, target, nil
}
