package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	j := &journal{backups: b, j: state.Journal{Format: state.JournalFormat, PID: 1, Started: time.Now().UTC(), Step: stepPrepared,
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
