//go:build unix

package state

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lockStoresHelper, when set, makes the test binary a second plexform run: it takes
// its own backups dir's lock and the store's, says "locked", and holds both until its
// stdin closes.
const lockStoresHelper = "PLEXFORM_TEST_LOCKSTORES_HELPER"

func TestLockStoresAcrossProcesses(t *testing.T) {
	if spec := os.Getenv(lockStoresHelper); spec != "" {
		backups, store, _ := strings.Cut(spec, "|")
		unlock, err := (&Dir{Path: backups}).Lock(0)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		defer unlock()
		unlockStores, err := LockStores([]string{store}, 0)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		defer unlockStores()
		fmt.Println("locked")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		return
	}
	dir := t.TempDir()
	plex := filepath.Join(dir, "plex")
	mustMkdir(t, plex, 0o755)
	store := filepath.Join(plex, "Preferences.xml")
	if err := os.WriteFile(store, []byte("<Preferences/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The same file by another spelling: through a symlinked directory, as -root or a
	// bind mount would reach it.
	if err := os.Symlink(plex, filepath.Join(dir, "volume")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "volume", "Preferences.xml")

	cmd := exec.Command(os.Args[0], "-test.run=^TestLockStoresAcrossProcesses$")
	cmd.Env = append(os.Environ(), lockStoresHelper+"="+filepath.Join(dir, "backups-a")+"|"+store)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper: %q %v", line, err)
	}

	// Another backups dir: its own lock is free, but the store is not.
	b := &Dir{Path: filepath.Join(dir, "backups-b")}
	defer b.Close()
	unlock, err := b.Lock(0)
	if err != nil {
		t.Fatalf("a different backups dir: %v", err)
	}
	defer unlock()
	for _, wait := range []time.Duration{0, 50 * time.Millisecond} {
		if _, err := LockStores([]string{other}, wait); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "another plexform run is changing "+plex) {
			t.Errorf("LockStores(wait %v) while another process holds the store: %v", wait, err)
		}
	}
	// A store in another directory and one in a missing directory are not held.
	free, err := LockStores([]string{filepath.Join(dir, "Other.xml"), filepath.Join(dir, "missing", "x.xml")}, 0)
	if err != nil {
		t.Fatalf("unrelated stores: %v", err)
	}
	free()

	stdin.Close()
	got, err := LockStores([]string{other, store}, 10*time.Second)
	if err != nil {
		t.Fatalf("after the other process let go: %v", err)
	}
	got()
}

// A target that is not a file (a registry key, a defaults domain) locks a file named
// from its hash in the user's lock dir; flock locks belong to open files, so a second
// open in this process contends as a second process would.
func TestLockStoresKeyedTargets(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	key := "defaults domain com.plexapp.plexmediaserver"
	unlock, err := LockStores([]string{key, key}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockStores([]string{key}, 0); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), key) {
		t.Errorf("second lock of %s: %v", key, err)
	}
	unlock()
	again, err := LockStores([]string{key}, 0)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	again()
	dir, _ := os.UserCacheDir()
	if fi, err := os.Stat(filepath.Join(dir, "plexform", "locks")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("lock dir: %v %v", fi, err)
	}
}

// The backups dir's lock holder writes its pid just after its flock and empties the
// file just before it lets go. A second apply that looks in between finds the lock held
// and no pid: it must look again and name the holder, or take the lock if it was let go,
// never refuse naming no one (the load test met that once in a few hundred refusals).
func TestBackupsLockRefusalNamesTheHolderInEveryWindow(t *testing.T) {
	t.Run("pid not written yet", func(t *testing.T) {
		b := &Dir{Path: filepath.Join(t.TempDir(), "backups")}
		unlock, err := b.Lock(0)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		lock := filepath.Join(b.Path, lockName)
		if err := os.Truncate(lock, 0); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(5 * time.Millisecond)
			_ = os.WriteFile(lock, []byte("4242\n"), 0o600)
		}()
		other := &Dir{Path: b.Path}
		defer other.Close()
		if _, err := other.Lock(0); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "another plexform apply (pid 4242) is running") {
			t.Errorf("lock while the holder's pid is being written: %v, want a refusal naming pid 4242", err)
		}
	})
	t.Run("pid already erased", func(t *testing.T) {
		b := &Dir{Path: filepath.Join(t.TempDir(), "backups")}
		unlock, err := b.Lock(0)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(filepath.Join(b.Path, lockName), 0); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(5 * time.Millisecond)
			unlock()
		}()
		other := &Dir{Path: b.Path}
		defer other.Close()
		unlock2, err := other.Lock(0)
		if err != nil {
			t.Fatalf("lock while the holder lets go: %v, want the lock", err)
		}
		unlock2()
	})
}

// A run that made the backups dir and changed nothing removes the dir again, lock file
// and all, before it lets go of the lock (RemoveIfUnused). A second run that was waiting for
// that lock then holds a lock on a file no one else can open any more, in a directory
// that is gone: it must notice and take the lock anew, or a third run would make a new
// dir and lock and run beside it, and its backups would go into the removed dir.
func TestBackupsLockWaitedForThroughTheDirsRemoval(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	first := &Dir{Path: dir}
	unlock, err := first.Lock(0)
	if err != nil {
		t.Fatal(err)
	}
	second := &Dir{Path: dir}
	defer second.Close()
	got := make(chan error, 1)
	var unlockSecond func()
	go func() {
		var err error
		unlockSecond, err = second.Lock(10 * time.Second)
		got <- err
	}()
	// What a run that made the dir and left nothing in it does, once the second run has
	// opened the lock file and waits on it.
	waitOpenedTwice(t, filepath.Join(dir, lockName))
	if !first.RemoveIfUnused() {
		t.Fatal("RemoveIfUnused left a dir that holds only its lock")
	}
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the dir is still there: %v", err)
	}
	unlock()
	first.Close()
	if err := <-got; err != nil {
		t.Fatalf("the waiting run: %v", err)
	}
	defer unlockSecond()
	third := &Dir{Path: dir}
	defer third.Close()
	if unlockThird, err := third.Lock(0); !errors.Is(err, ErrLocked) {
		if err == nil {
			unlockThird()
		}
		t.Fatalf("a third run took the lock while the second holds it: %v", err)
	}
	if err := second.WriteFile("claims-used.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "claims-used.json")); err != nil {
		t.Errorf("what the second run writes is not in %s: %v", dir, err)
	}
}

// waitOpenedTwice waits until this process holds path open twice (on Linux, where
// /proc/self/fd tells; elsewhere it gives the other goroutine a moment).
func waitOpenedTwice(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			return
		}
		n := 0
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == path {
				n++
			}
		}
		if n >= 2 {
			return
		}
	}
	t.Fatalf("%s was not opened by the waiting run", path)
}
