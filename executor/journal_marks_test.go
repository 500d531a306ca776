package executor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
)

// While Plex is down, a progress mark that changes nothing recover uses stays in memory
// (written with the next write), but a store backed up again is named in the journal on
// disk at once, before any rename: recover must restore the newest backup.
func TestJournalMarksWhilePlexIsDown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Preferences.xml")
	if err := os.WriteFile(path, []byte(prefsXML), 0o600); err != nil {
		t.Fatal(err)
	}
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+path+`, absent: [PlexOnlineToken]}
`)
	steps, err := h.Steps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := &state.Dir{Path: filepath.Join(t.TempDir(), "backups")}
	unlock, err := b.Lock(0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	r := &run{steps: steps, opts: Options{Backups: b}, obs: nopObserver{}, snaps: map[*host.StoreStep]stores.Snapshot{}}
	s := steps.Stores[0]
	if err := r.backUp(s, s.Base); err != nil {
		t.Fatal(err)
	}
	r.journal = newJournal(r.opts, steps, r)
	if err := r.journal.save(stepPrepared, true); err != nil {
		t.Fatal(err)
	}
	onDisk := func() *state.Journal {
		t.Helper()
		j, err := b.ReadJournal()
		if err != nil || j == nil {
			t.Fatalf("journal: %v, %v", j, err)
		}
		return j
	}

	r.journal.mark(stepStopped)
	r.journal.mark(stepBackedUp)
	if j := onDisk(); j.Step != stepPrepared {
		t.Errorf("after marks that change nothing, the journal on disk is at %q, want %q", j.Step, stepPrepared)
	}
	if r.journal.last() != stepBackedUp {
		t.Errorf("the mark in memory is %q, want %q", r.journal.last(), stepBackedUp)
	}

	// The server rewrote the file on shutdown: backed up again, the mark is written.
	again := stores.Snapshot{Ext: "xml", Data: []byte(strings.Replace(prefsXML, "den", "lab", 1)), Meta: s.Base.Meta}
	if err := r.backUp(s, again); err != nil {
		t.Fatal(err)
	}
	r.journal.mark(stepBackedUp)
	j := onDisk()
	if j.Step != stepBackedUp || len(j.Stores) != 1 || j.Stores[0].Backup != r.backups[0].ID {
		t.Errorf("after a second backup the journal on disk is %+v, want step %q naming backup %s", j, stepBackedUp, r.backups[0].ID)
	}
}
