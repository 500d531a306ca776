package views

import (
	"errors"
	"strings"
	"testing"

	"github.com/plexform/plexform/executor"
)

// A failed recover ends with what is left under its own name: it is no rollback.
func TestFailureEndsWithWhatIsLeft(t *testing.T) {
	f := &executor.Failure{Err: errors.New("boom"), Changed: true, Left: []string{"service plex is not running again (it is stopped)"}}
	for what, want := range map[string]string{
		"recover": "The recover is INCOMPLETE. What is left:\n  - service plex is not running again (it is stopped)\n",
		"apply":   "The rollback is INCOMPLETE. What is left:\n  - service plex is not running again (it is stopped)\n",
	} {
		var b strings.Builder
		ApplyFailureHuman(&b, Style{}, what, f, "/var/lib/plexform/backups")
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s:\n%s\nwant it to hold:\n%s", what, b.String(), want)
		}
	}
}
