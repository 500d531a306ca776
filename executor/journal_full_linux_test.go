package executor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/state"
)

// A backups dir that fills up during the apply: whatever room is left, the stop command
// never runs while the journal on disk does not name the service it stops and the stop
// itself (what recover needs to put the server back and to wait for the stop). The
// stop script checks the journal as it runs. With too little room the apply fails
// before anything changed and says so; with enough it applies.
func TestApplyDoesNotStopWhatTheJournalCannotName(t *testing.T) {
	var stopsBeforeTheStop, applied int
	for pages := 0; pages <= 10; pages++ {
		dir := t.TempDir()
		full := testtool.Tmpfs(t, "64k")
		prefs, up, unrecorded := filepath.Join(dir, "Preferences.xml"), filepath.Join(dir, "up"), filepath.Join(dir, "unrecorded")
		for _, p := range []string{prefs, up} {
			if err := os.WriteFile(p, []byte(prefsXML), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		backups := filepath.Join(full, "backups")
		stop := filepath.Join(dir, "stop")
		script := "#!/bin/sh\nj=\"$1/journal.json\"\ngrep -q '\"action\": \"stop\"' \"$j\" && grep -q '\"resource\": \"plex\"' \"$j\" || echo \"$1\" >>\"$2\"\nrm -f \"$3\"\n"
		if err := os.WriteFile(stop, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, manager: exec, start: [touch, `+up+`], stop: [`+stop+`, `+backups+`, `+unrecorded+`, `+up+`], status: [test, -f, `+up+`]}
`)
		testtool.FillLeaving(t, full, pages)
		b := &state.Dir{Path: backups}
		_, err := Apply(context.Background(), h, Options{Backups: b, Keep: 10})
		b.Close()
		if got, _ := os.ReadFile(unrecorded); len(got) > 0 {
			t.Errorf("%d pages free: the stop command ran while the journal did not name it (%v)", pages, err)
		}
		if _, statErr := os.Stat(up); statErr != nil {
			t.Errorf("%d pages free: the server is down after the apply (%v)", pages, err)
		}
		if _, statErr := os.Stat((&state.Dir{Path: backups}).JournalPath()); statErr == nil {
			t.Errorf("%d pages free: the journal is left after an apply that ended (%v)", pages, err)
		}
		if err == nil {
			applied++
			continue
		}
		f, ok := IsFailure(err)
		if !ok || !f.RolledBack {
			t.Errorf("%d pages free: %v, want a rolled-back failure", pages, err)
			continue
		}
		if strings.Contains(err.Error(), "journal") && !f.Changed {
			stopsBeforeTheStop++
			if got, _ := os.ReadFile(prefs); string(got) != prefsXML {
				t.Errorf("%d pages free: Preferences.xml changed by an apply that says it changed nothing", pages)
			}
		}
	}
	// The sizes tried must cover a full disk hit just before the stop, and enough room.
	if stopsBeforeTheStop == 0 || applied == 0 {
		t.Errorf("%d applies stopped before the stop by the full journal, %d applied; want some of each", stopsBeforeTheStop, applied)
	}
}
