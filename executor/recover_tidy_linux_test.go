package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores/fileutil"
)

// A recover killed after its tidy leaves a journal that names staged files the tidy
// removed: the next recover must not offer to remove files that are gone (its own tidy
// removed the other one, which was still there, before it asked).
func TestRecoverOffersOnlyStagedFilesThatAreThere(t *testing.T) {
	dir := t.TempDir()
	prefs, other, backups := filepath.Join(dir, "Preferences.xml"), filepath.Join(dir, "Other.xml"), filepath.Join(dir, "backups")
	for _, p := range []string{prefs, other} {
		if err := os.WriteFile(p, []byte(prefsXML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken]}
  - {name: other, kind: xml_attributes, path: `+other+`, absent: [PlexOnlineToken]}
`)
	b := &state.Dir{Path: backups}
	defer b.Close()
	gone := filepath.Join(dir, fileutil.TempPrefix("Preferences.xml")+"0123456789ab")
	there := filepath.Join(dir, fileutil.TempPrefix("Other.xml")+"0123456789ab")
	if err := os.WriteFile(there, []byte("<Preferences/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	j := &journal{backups: b, j: state.Journal{Format: 1, PID: 1, Started: time.Now().UTC(), Step: stepPrepared,
		Stores: []state.JournalStore{{Resource: "prefs", Target: prefs, Staged: gone}, {Resource: "other", Target: other, Staged: there}}}}
	if err := j.save(stepPrepared, true); err != nil {
		t.Fatal(err)
	}
	var offered []string
	// Cancel at the confirmation: what matters is what it offered.
	_, _ = Recover(context.Background(), RecoverOperation{Host: h, Options: Options{Backups: b},
		Confirm: func(_ context.Context, actions []string) (bool, error) { offered = actions; return false, nil }})
	text := strings.Join(offered, "\n")
	if strings.Contains(text, "remove the staged file") {
		t.Errorf("recover offers to remove staged files that are not there:\n%s", text)
	}
	if _, err := os.Lstat(there); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the tidy before the question left %s (%v)", there, err)
	}
}

// An error writing into the backups dir names the file once, not "write X: write X:".
func TestBackupsWriteErrorNamesTheFileOnce(t *testing.T) {
	fsDir := testtool.Tmpfs(t, "64k")
	b := &state.Dir{Path: filepath.Join(fsDir, "backups")}
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
