package schedule

import (
	"fmt"
	"strings"

	"github.com/plexform/plexform/plan"
)

// ResetReasons says why a plan would sign the owner out at every scheduled run, one
// reason per resource; none for a plan that is safe to schedule. A store that lists a
// sign-in value under absent: removes it at every run (once the owner signs in again,
// Plex writes a new token and the next run removes it), and so does a plex_signin with
// force: true (it resets whatever the verdict). A plex_signin without force resets only
// a broken sign-in, which is what a schedule is for. goos selects the resources that run
// on the host (when:).
func ResetReasons(p *plan.Plan, goos string) []string {
	var out []string
	for _, r := range p.Selected(goos) {
		switch {
		case r.IsStore():
			var removed []string
			for _, a := range r.Absent {
				if plan.IsSignInValue(a) {
					removed = append(removed, a)
				}
			}
			if len(removed) > 0 {
				out = append(out, fmt.Sprintf("%s (line %d) removes %s at every run", r.Name, r.Pos.Line, strings.Join(removed, ", ")))
			}
		case r.Kind == plan.KindPlexSignin && r.Signin != nil && r.Signin.Force:
			out = append(out, fmt.Sprintf("%s (line %d) has force: true, so it resets and re-links the sign-in at every run, also when it works", r.Name, r.Pos.Line))
		}
	}
	return out
}

// ResetRefusal is the error for a reset plan installed without -force.
func ResetRefusal(file string, reasons []string) error {
	return fmt.Errorf("%s is a reset plan: %s. Run on a schedule it would sign the owner out at every run: once they sign in again, Plex writes a new token and the next run removes it. "+
		"Schedule a plex_signin plan instead (examples/plex-signin.yaml): it changes nothing while the sign-in works and resets and re-links it only when plex.tv or the server rejects it. "+
		"To schedule this plan anyway, pass -force", file, strings.Join(reasons, "; "))
}
