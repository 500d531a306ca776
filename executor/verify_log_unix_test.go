//go:build unix

package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/stores/fileutil"
)

var myPlex401 = []*regexp.Regexp{regexp.MustCompile(`MyPlex.*401`)}

// A FIFO planted as the verify log is an error at once; reading it would wait for a
// writer that never comes, with Plex already restarted.
func TestCheckLogDoesNotBlockOnAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Plex Media Server.log")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := checkLog(context.Background(), logMark{path: path}, myPlex401, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe (FIFO)") {
			t.Errorf("checkLog of a FIFO = %v, want it refused", err)
		}
	// No speed assertion: only a bound on a read that never ends.
	case <-time.After(time.Minute):
		t.Fatal("checkLog is still waiting on the FIFO after a minute")
	}
}

// A log that grew by 256 MiB (sparse) during the apply costs a window to check, not its
// size in memory (a 2 GiB one cost 6.6 GB); the line at its end is still found, and the
// check says how much it left unread.
func TestCheckLogReadsABoundedTail(t *testing.T) {
	const grown = 256 << 20
	path := filepath.Join(t.TempDir(), "Plex Media Server.log")
	if err := os.WriteFile(path, []byte("INFO - before the apply\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	offset := int64(len("INFO - before the apply\n"))
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(offset + grown); err != nil {
		f.Close()
		t.Skipf("no sparse file here: %v", err)
	}
	if _, err := f.WriteAt([]byte("\nERROR - MyPlex: 401\n"), offset+grown); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	skipped, err := checkLog(context.Background(), logMark{path: path, offset: offset}, myPlex401, nil)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "MyPlex: 401") {
		t.Errorf("checkLog = %v, want the line at the end found", err)
	}
	if skipped <= 0 {
		t.Errorf("skipped %d, want the unread start of the growth counted", skipped)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("checking %d new bytes allocated %d bytes", grown+21, allocated)
	if limit := uint64(4 * fileutil.LogWindow); allocated > limit {
		t.Errorf("checkLog allocated %d bytes, more than %d", allocated, limit)
	}
}

// A log read that waits in the kernel (a log on a network mount that stopped answering;
// here a read that blocks until the test ends) does not hold the run: cancelling the
// context, as SIGTERM does, ends checkLog with the cause.
func TestCheckLogEndsWhenInterrupted(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	readTail = func(fileutil.Root, string, int64) (fileutil.Tail, error) {
		<-release
		return fileutil.Tail{}, nil
	}
	defer func() { readTail = fileutil.Root.ReadTail }()
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := checkLog(ctx, logMark{path: "Plex Media Server.log"}, myPlex401, nil)
		done <- err
	}()
	cancel(errors.New("interrupted by SIGTERM"))
	select {
	case err := <-done:
		if err == nil || err.Error() != "interrupted by SIGTERM" {
			t.Errorf("checkLog = %v, want the interruption", err)
		}
	// No speed assertion: only a bound on a read that never ends.
	case <-time.After(time.Minute):
		t.Fatal("checkLog is still waiting on the read after the interruption")
	}
}
