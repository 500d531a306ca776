package executor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/plexform/plexform/stores/fileutil"
)

// ErrLocked means another apply holds the backups directory.
var ErrLocked = errors.New("locked")

// Lock takes the backups directory's lock, so two applies never run at once against the
// same backups. The OS releases it when the process dies, so a killed apply leaves no
// stale lock behind. wait > 0 keeps trying that long.
func (b *Backups) Lock(wait time.Duration) (unlock func(), err error) {
	if err := fileutil.MkdirPrivate(b.Dir); err != nil {
		return nil, fmt.Errorf("backups: %w", err)
	}
	path := filepath.Join(b.Dir, ".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		err = tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			holder, _ := os.ReadFile(path)
			f.Close()
			if errors.Is(err, ErrLocked) {
				who := strings.TrimSpace(string(holder))
				if who != "" {
					who = " (pid " + who + ")"
				}
				return nil, fmt.Errorf("another plexform apply%s is running against %s; wait for it to finish or pass -lock-timeout: %w", who, b.Dir, ErrLocked)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		time.Sleep(delay)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = f.Truncate(0)
		unlockFile(f)
		f.Close()
	}, nil
}
