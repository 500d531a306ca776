//go:build unix

package doctor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO planted as Plex's log is reported as unreadable at once; doctor never waits for
// a writer.
func TestLogCheckDoesNotBlockOnAFIFO(t *testing.T) {
	root := debianTree(t)
	log := filepath.Join(root, pms, "Logs", "Plex Media Server.log")
	if err := os.Remove(log); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(log, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan Result, 1)
	go func() { done <- logCheck{}.Run(context.Background(), NewFacts(options(root))) }()
	select {
	case r := <-done:
		if r.Status != StatusNotChecked || !strings.Contains(r.Summary, "named pipe (FIFO)") {
			t.Errorf("log check of a FIFO = %+v, want not checked, saying why", r)
		}
	// No speed assertion: only a bound on a read that never ends.
	case <-time.After(time.Minute):
		t.Fatal("the log check is still waiting on the FIFO after a minute")
	}
}

// A huge log is read only at its end: the sign-in error in its last line is found.
func TestLogCheckReadsTheEndOfAHugeLog(t *testing.T) {
	root := debianTree(t)
	log := filepath.Join(root, pms, "Logs", "Plex Media Server.log")
	f, err := os.OpenFile(log, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		f.Close()
		t.Skipf("no sparse file here: %v", err)
	}
	if _, err := f.WriteAt([]byte("\nERROR - MyPlex: 401 at the end\n"), 1<<30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := logCheck{}.Run(context.Background(), NewFacts(options(root)))
	if r.Status != StatusProblem || len(r.Details) != 1 || !strings.Contains(r.Details[0], "at the end") {
		t.Errorf("log check = %+v, want the last line's error", r)
	}
}
