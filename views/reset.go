package views

import (
	"fmt"
	"strings"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/plan"
)

// ResetEnd is what reset's view says at its end besides the apply's result.
type ResetEnd struct {
	// BackupsDir holds the backup, Undo is the command that puts it back.
	BackupsDir, Undo string
	// Target is the settings store reset; Manager is the service manager that stopped
	// and started Plex, "" when no service was found.
	Target, Manager string
	// Advice is how to sign in again ("" once re-linked); SignIn is the sentence that
	// says it to a person ("" once re-linked).
	Advice, SignIn string
	// Relinked is the method the server was signed in again with ("link_code",
	// "claim_token"), "" when it was not.
	Relinked string
}

// resetJSON is the last line of `reset -json`: apply's, with where the backup is, how
// to undo and how to sign in again.
type resetJSON struct {
	ApplyJSON
	BackupsDir string `json:"backups_dir"`
	Undo       string `json:"undo,omitempty"`
	SignIn     string `json:"sign_in,omitempty"`
	// Relinked is the method the server was signed in again with ("link_code",
	// "claim_token"); then there is no sign_in.
	Relinked string `json:"relinked,omitempty"`
}

// resetSummary is reset's last paragraph: what changed, where the backup is, how to
// undo it and how to sign in again.
func resetSummary(res *executor.Result, end ResetEnd) string {
	if !res.Applied || !res.Changes.HasChanges() {
		return fmt.Sprintf("Nothing to reset: %s holds none of the sign-in values, so nothing was changed and Plex was not restarted. %s.\n",
			end.Target, end.SignIn)
	}
	var removed []string
	for _, rc := range res.Changes.Resources {
		for _, v := range rc.Values {
			if v.Action == plan.Remove {
				removed = append(removed, v.StoreName)
			}
		}
	}
	if len(removed) == 0 {
		// Only the re-link ran (reset -relink on a server reset before): Plex kept running.
		return fmt.Sprintf("Nothing to reset: %s holds none of the sign-in values, so it was not changed and Plex was not restarted. The server is signed in again and its new sign-in works.\n",
			end.Target)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Reset complete: removed %s from %s", strings.Join(removed, ", "), end.Target)
	if end.Manager != "" {
		fmt.Fprintf(&b, ", with Plex stopped (%s) for %s and started again", end.Manager, res.Downtime.Round(1e6))
	}
	b.WriteString(". ")
	if len(res.Backups) > 0 {
		fmt.Fprintf(&b, "The backup is %s in %s; to undo the reset, run `%s`. ", res.Backups[0].ID, end.BackupsDir, end.Undo)
	}
	if end.SignIn == "" {
		b.WriteString("The server is signed in again and its new sign-in works.\n")
	} else {
		fmt.Fprintf(&b, "%s.\n", end.SignIn)
	}
	return b.String()
}
