package host

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
)

// processedMachineID is the setting PMS reports as /identity's machineIdentifier.
const processedMachineID = "ProcessedMachineIdentifier"

// plexSettings reports whether the store is a Plex Media Server settings store: found as
// one, a file named Preferences.xml, or one holding PMS's ProcessedMachineIdentifier.
func (s *Store) plexSettings() bool {
	return s.Resource.Kind == plan.KindPlexPreferences || filepath.Base(s.file) == discover.PrefsFile || s.machineID != ""
}

// refuseWhileRunning marks the change of a Plex settings store that no service guards
// as one apply refuses when a Plex Media Server that uses it runs here: PMS writes its
// settings back when it stops, so the edit would be lost (or, worse, half kept). What
// counts as running, and how each sign is read, is discover.Running's; a server this
// user cannot inspect is a warning that says to run as root. probe is shared by the
// stores of one diff, so what runs is read once however many stores there are.
func (h *Host) refuseWhileRunning(ctx context.Context, probe *discover.Probe, s *Store, rc *plan.ResourceChange) {
	if !s.plexSettings() {
		return
	}
	file := s.file
	if file == "" && s.machineID == "" {
		return
	}
	o := discover.Options{Root: h.Options.Root, GOOS: h.Options.GOOS, Getenv: h.Options.Getenv, IdentityURL: h.Options.IdentityURL}
	runners, _, unreadable := probe.Running(ctx, o, file, s.machineID)
	if len(runners) == 0 {
		if len(unreadable) > 0 {
			rc.Warnings = append(rc.Warnings, fmt.Sprintf("%s: %s runs, and this user cannot tell whether it uses %s; run plexform as root (sudo) so it can look, or stop Plex first", s.Resource.Name, strings.Join(unreadable, ", "), rc.Target))
		}
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: a running Plex Media Server uses %s, and no service in the plan stops it; Plex writes its settings back when it stops, so apply will not edit them while it runs:", s.Resource.Name, rc.Target)
	lines := ""
	for _, r := range runners {
		fmt.Fprintf(&b, "\n  - %s", r.What)
		if lines == "" {
			lines = r.Lines
		}
	}
	if lines == "" {
		lines = "  - name: plex\n    kind: service\n    manager: ...   # systemd, s6, exec, docker...: how Plex is run here (plexform doctor)"
	}
	yourself := "stop Plex yourself first"
	if how := discover.ManualStop(h.Options.Root, file); how != "" && file != "" {
		yourself += "; " + how
	}
	if h.Options.MadeBy == nil {
		fmt.Fprintf(&b, "\nAdd to the plan's resources\n%s\nand service: plex to %s, so apply stops Plex for the write and starts it again; or %s.", lines, s.Resource.Name, yourself)
	} else {
		fmt.Fprintf(&b, "\n%s, which stops Plex for the write and starts it again; or %s.", h.Options.PlanEdit(fmt.Sprintf("add to its resources\n%s\nand service: plex to %s", lines, s.Resource.Name)), yourself)
	}
	rc.Errors = append(rc.Errors, b.String())
}
