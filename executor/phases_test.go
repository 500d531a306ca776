package executor

import (
	"slices"
	"testing"

	"github.com/plexform/plexform/plex/signin"
)

// A participant's warning is the engine's: views and the JSON lines tell it by its type.
func TestParticipantWarningIsTheEngines(t *testing.T) {
	if signin.EventWarning != EventWarning {
		t.Errorf("plex/signin reports warnings as %q, the engine as %q", signin.EventWarning, EventWarning)
	}
}

// The phases run in the order docs/apply.md names them; recover and the journal rely
// on it (backups before the stop, the writes while it is down, the claims after the start).
func TestPhasesRunInTheirDocumentedOrder(t *testing.T) {
	var names []string
	for _, p := range phases {
		names = append(names, p.name)
	}
	want := []string{PhaseCheck, PhasePrepare, PhaseStop, PhaseRecheck, PhaseWrite, PhaseStart, PhaseAfterStart, PhaseVerify, PhaseRecord}
	if !slices.Equal(names, want) {
		t.Errorf("phases %q, want %q", names, want)
	}
	for _, p := range phases {
		if p.refuses != (p.name == PhaseCheck) {
			t.Errorf("phase %s refuses=%v: only the check runs before anything changed", p.name, p.refuses)
		}
	}
}
