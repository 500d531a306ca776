//go:build unix

package executor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/state"
)

// A recover that cannot start the server again says so in what is left, as a rollback
// does: not only that the journal stays, but that plex is not running.
func TestRecoverSaysWhatIsLeftWhenItFails(t *testing.T) {
	dir := t.TempDir()
	up, backups := filepath.Join(dir, "up"), filepath.Join(dir, "backups")
	h := bind(t, `version: 1
resources:
  - {name: plex, kind: service, manager: exec, start: [sh, -c, 'exit 1'], stop: [rm, -f, `+up+`], status: [test, -f, `+up+`]}
`)
	b := &state.Dir{Path: backups}
	defer b.Close()
	j := &journal{backups: b, j: state.Journal{Format: state.JournalFormat, PID: 1, Started: time.Now().UTC(), Step: stepStopped,
		Services: []state.JournalService{{Resource: "plex", WasRunning: true}}}}
	if err := j.save(stepStopped, true); err != nil {
		t.Fatal(err)
	}
	_, err := Recover(context.Background(), RecoverOperation{Host: h, Options: Options{Backups: b}})
	f, ok := IsFailure(err)
	if !ok || f.RolledBack || !f.Changed {
		t.Fatalf("Recover = %v, want an incomplete recover", err)
	}
	want := []string{
		"service plex is not running again (it is stopped)",
		"the journal of the run, " + (&state.Dir{Path: backups}).JournalPath() + ", which the next `plexform recover` picks up",
	}
	if !slices.Equal(f.Left, want) {
		t.Errorf("left:\n%s\nwant:\n%s", strings.Join(f.Left, "\n"), strings.Join(want, "\n"))
	}
	if _, err := os.Stat((&state.Dir{Path: backups}).JournalPath()); err != nil {
		t.Errorf("the journal is gone after a recover that did not finish: %v", err)
	}
}

// A store recover cannot put back is named with its backup, as a rollback names it.
func TestRecoverNamesAStoreItCouldNotRestore(t *testing.T) {
	dir := t.TempDir()
	prefs, backups := filepath.Join(dir, "Preferences.xml"), filepath.Join(dir, "backups")
	if err := os.WriteFile(prefs, []byte(prefsXML), 0o600); err != nil {
		t.Fatal(err)
	}
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken]}
`)
	b, m := killedAfterWrite(t, h, backups, prefs)
	ctx := context.Background()
	h.Stores[0].Store = failingRestore{h.Stores[0].Store}
	_, err := Recover(ctx, RecoverOperation{Host: h, Options: Options{Backups: b}})
	f, ok := IsFailure(err)
	if !ok || f.RolledBack {
		t.Fatalf("Recover = %v, want an incomplete recover", err)
	}
	want := "prefs (" + prefs + ") is NOT restored; its backup is " + b.BackupPath(m)
	if len(f.Left) != 2 || f.Left[0] != want {
		t.Errorf("left: %q, want %q first, then the journal", f.Left, want)
	}
}

// killedAfterWrite leaves what an apply killed after its write leaves: the first store's
// backup in backups, the store rewritten, and the journal at "written". The dir is
// closed when the test ends.
func killedAfterWrite(t *testing.T, h *host.Host, backups, prefs string) (*state.Dir, *state.Manifest) {
	t.Helper()
	b := &state.Dir{Path: backups}
	t.Cleanup(func() { b.Close() })
	snap, err := h.Stores[0].Store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.Save("prefs", "xml_attributes", prefs, "", "test", snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefs, []byte("<Preferences/>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	j := &journal{backups: b, j: state.Journal{Format: state.JournalFormat, PID: 1, Started: time.Now().UTC(), Step: stepWritten,
		Stores: []state.JournalStore{{Resource: "prefs", Target: prefs, Backup: m.ID, Written: true}}}}
	if err := j.save(stepWritten, true); err != nil {
		t.Fatal(err)
	}
	return b, m
}
