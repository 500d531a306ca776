//go:build unix

package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

// A FIFO planted where a log belongs is an error at once, not a read that waits for a
// writer.
func TestReadTailRefusesAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Plex Media Server.log")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (Root{}).ReadTail(path, 0); err == nil || !strings.Contains(err.Error(), "named pipe (FIFO)") {
		t.Errorf("ReadTail of a FIFO: %v", err)
	}
	if _, err := (Root{}).LogSize(path); err == nil || !strings.Contains(err.Error(), "named pipe (FIFO)") {
		t.Errorf("LogSize of a FIFO: %v", err)
	}
}

// A log that is a symlink another user made is not read, even to that user's own file
// (which the store files' rule would allow): Plex's log is no symlink. A link root made
// is followed.
func TestReadTailRefusesAnotherUsersSymlink(t *testing.T) {
	u := testtool.SecondUser(t)
	home := u.OwnDir(t)
	u.Run(t, "cd "+home+" && printf 'theirs\\n' > big.log && ln -s big.log 'Plex Media Server.log' && ln -s /etc/shadow shadow.log")
	for _, name := range []string{"Plex Media Server.log", "shadow.log"} {
		_, err := Root{}.ReadTail(filepath.Join(home, name), 0)
		if err == nil || !strings.Contains(err.Error(), "is a symlink that belongs to "+u.Name) {
			t.Errorf("ReadTail of %s: %v, want the link refused", name, err)
		}
		if _, err := (Root{}).LogSize(filepath.Join(home, name)); err == nil {
			t.Errorf("LogSize of %s: the link was followed", name)
		}
	}
	mine := filepath.Join(t.TempDir(), "moved.log")
	if err := os.Symlink(filepath.Join(home, "big.log"), mine); err != nil {
		t.Fatal(err)
	}
	if got, err := (Root{}).ReadTail(mine, 0); err != nil || len(got.Lines) != 1 || got.Lines[0] != "theirs" {
		t.Errorf("a link root made: %+v, %v", got, err)
	}
}
