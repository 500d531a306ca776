package state

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

// An error writing into the backups dir names the file once, not "write X: write X:".
func TestBackupsWriteErrorNamesTheFileOnce(t *testing.T) {
	fsDir := testtool.Tmpfs(t, "64k")
	b := &Dir{Path: filepath.Join(fsDir, "backups")}
	defer b.Close()
	if err := b.WriteFile("state.json", []byte("{}\n")); err != nil { // the dir exists before the disk fills
		t.Fatal(err)
	}
	testtool.FillUp(t, fsDir)
	err := b.WriteFile("state.json", []byte(strings.Repeat("x", 8192)))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteFile on a full disk = %v, want ENOSPC", err)
	}
	if n := strings.Count(err.Error(), b.Path); n != 1 {
		t.Errorf("the error names the backups dir %d times, want once: %v", n, err)
	}
}
