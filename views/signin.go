package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/plexform/plexform/plan"
)

// The sign-in output reads only the one decision each plex_signin made when the host was
// read (plan.SigninChange, from signin.Signin.Decide): it decides nothing again.

// signinVerdicts prints each plex_signin's verdict and its evidence, before the diff:
// "sign-in: broken — plex.tv rejects the stored token".
func signinVerdicts(w io.Writer, ch *plan.Changes, st Style) {
	for _, sc := range ch.Signins {
		colour := map[string]string{plan.SigninWorking: "32", plan.SigninBroken: "31"}[sc.Verdict]
		if colour == "" {
			colour = "33"
		}
		fmt.Fprintf(w, "%s %s — %s\n", st.paint("1", "sign-in:"), st.paint(colour, sc.Verdict), sc.Reason)
		for _, e := range sc.Evidence {
			fmt.Fprintf(w, "  %s\n", e)
		}
		switch {
		case sc.Forced:
			fmt.Fprintf(w, "  %s has force: true, so apply resets the sign-in and re-links the server whatever the verdict.\n", sc.Address)
		case sc.Verdict == plan.SigninUnknown:
			fmt.Fprintf(w, "  Nothing is reset while the verdict is unknown.\n")
		case sc.Verdict == plan.SigninBroken && sc.Relink == "":
			fmt.Fprintf(w, "  %s has no relink:, so apply resets the sign-in and you sign in again by hand.\n", sc.Address)
		}
		fmt.Fprintln(w)
	}
}

// signinActions prints what apply does besides the writes to repair a broken sign-in.
func signinActions(w io.Writer, ch *plan.Changes) {
	for _, sc := range ch.Signins {
		switch sc.Relink {
		case "link_code":
			fmt.Fprintf(w, "\n  # %s (plex_signin) will re-link the server once it runs: it shows a code to enter at https://plex.tv/link on any device, then claims the server if the account that enters it is the one the server was signed in to\n", sc.Address)
		case "claim_token":
			fmt.Fprintf(w, "\n  # %s (plex_signin) will re-link the server once it runs, with the claim token the plan names\n", sc.Address)
		}
	}
}

// OtherTools are the tools that keep a Plex token of their own: after plex.tv revoked the
// account's tokens, each must be signed in again.
var OtherTools = []string{"Tautulli", "Overseerr / Jellyseerr", "Ombi", "Home Assistant (Plex integration)", "Kometa"}

// signinNextSteps says what is left to do after a plex_signin repaired a sign-in.
func signinNextSteps(ch *plan.Changes, undo string) string {
	var b strings.Builder
	revoked, relinked := false, false
	for _, sc := range ch.Signins {
		revoked = revoked || (sc.Verdict == plan.SigninBroken && sc.Revoked)
		relinked = relinked || sc.Relinks()
	}
	if relinked {
		b.WriteString("\nThe server is signed in again and its new sign-in works.\n")
	} else {
		b.WriteString(nextSteps(undo))
	}
	if revoked {
		b.WriteString("\nplex.tv revoked the old token, so every other tool signed in to this Plex account\n")
		b.WriteString("holds a dead token too. Sign each in again with its own Plex sign-in:\n")
		for _, t := range OtherTools {
			fmt.Fprintf(&b, "  - %s\n", t)
		}
		b.WriteString("Never paste the server's own token (PlexOnlineToken) into them: it is the server's\n")
		b.WriteString("identity, and a tool holding it breaks again with the next reset.\n")
	}
	if relinked && undo != "" {
		fmt.Fprintf(&b, "To undo this reset: %s\n", undo)
	}
	return b.String()
}

// signinRepaired reports whether a plex_signin repaired a sign-in in this apply.
func signinRepaired(ch *plan.Changes) bool {
	for _, sc := range ch.Signins {
		if sc.Relinks() || (sc.Resets() && removedSignIn(ch)) {
			return true
		}
	}
	return false
}
