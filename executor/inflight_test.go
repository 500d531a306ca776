//go:build unix

package executor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/state"
)

// While a service command runs, the journal names it (which service, which action, the
// mark its children carry), so that recover can find it should the apply be killed;
// once it has ended it is taken out again. The stop command here is a real script that
// copies the journal as it runs.
func TestJournalNamesTheServiceCommandInFlight(t *testing.T) {
	dir := t.TempDir()
	prefs, up, backups := filepath.Join(dir, "Preferences.xml"), filepath.Join(dir, "up"), filepath.Join(dir, "backups")
	seen := filepath.Join(dir, "journal-during-stop.json")
	for _, p := range []string{prefs, up} {
		if err := os.WriteFile(p, []byte(prefsXML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stop := filepath.Join(dir, "stop")
	script := "#!/bin/sh\ncp \"$1/journal.json\" \"$2\"\nenv | grep -q '^PLEXFORM_COMMAND=' && echo marked >\"$2.env\"\nrm -f \"$3\"\n"
	if err := os.WriteFile(stop, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, manager: exec, start: [touch, `+up+`], stop: [`+stop+`, `+backups+`, `+seen+`, `+up+`], status: [test, -f, `+up+`]}
`)
	b := &state.Dir{Path: backups}
	defer b.Close()
	if _, err := Apply(context.Background(), h, Options{Backups: b, Keep: 10}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(seen)
	if err != nil {
		t.Fatalf("the stop command did not see a journal: %v", err)
	}
	var during state.Journal
	if err := json.Unmarshal(data, &during); err != nil {
		t.Fatal(err)
	}
	if len(during.InFlight) != 1 {
		t.Fatalf("in flight during the stop: %+v; want the stop", during.InFlight)
	}
	c := during.InFlight[0]
	if c.Service != "plex" || c.Action != "stop" || c.Mark == "" || strings.Trim(c.Mark, "0123456789abcdef") != "" || c.Started.IsZero() {
		t.Errorf("the command in flight: %+v", c)
	}
	if _, err := os.Stat(seen + ".env"); err != nil {
		t.Error("the command's environment does not carry its mark")
	}
	if _, err := os.Stat((&state.Dir{Path: backups}).JournalPath()); !os.IsNotExist(err) {
		t.Errorf("the journal is still there after the apply: %v", err)
	}
}
