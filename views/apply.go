package views

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
)

// HumanObserver prints apply progress for people. On a terminal a wait is one live line
// ("Stopping plex (s6 /run/service/plex)… 4s") rewritten in place.
type HumanObserver struct {
	W        io.Writer
	Terminal bool
	mu       sync.Mutex
	live     bool
	lastTick time.Duration
	// countdown: the live line counts down to a link code's expiry, not up.
	countdown bool
}

func (o *HumanObserver) Event(e executor.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.live {
		fmt.Fprint(o.W, "\r\x1b[K")
		o.live, o.countdown = false, false
	}
	if e.Type == executor.EventLinkCode {
		fmt.Fprintln(o.W, redact.PrintableLines(e.Message))
		if o.Terminal {
			fmt.Fprint(o.W, "Waiting for the code to be entered…")
			o.live, o.countdown = true, true
		}
		return
	}
	if e.Type == executor.EventStopping || e.Type == executor.EventStarting {
		if o.Terminal {
			fmt.Fprintf(o.W, "%s…", redact.Printable(e.Message))
			o.live, o.lastTick = true, 0
			return
		}
	}
	fmt.Fprintln(o.W, redact.PrintableLines(e.Message)) // it names paths: see PlanHuman
}

// Waiting rewrites the live line; while a link code waits, elapsed is the time left.
func (o *HumanObserver) Waiting(resource, verb string, elapsed time.Duration) {
	if !o.Terminal {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.countdown {
		left := elapsed.Round(time.Second)
		fmt.Fprintf(o.W, "\r\x1b[K%s… %d:%02d left (Ctrl-C gives up and rolls back)", verb, int(left.Minutes()), int(left.Seconds())%60)
		return
	}
	// One refresh a second is enough for a human and keeps the line from flickering.
	if s := elapsed.Truncate(time.Second); o.live && s > o.lastTick {
		o.lastTick = s
		fmt.Fprintf(o.W, "\r\x1b[K%s %s… %s", verb, resource, s)
	}
}

// JSONObserver prints each event as one JSON line.
type JSONObserver struct {
	W  io.Writer
	mu sync.Mutex
}

func (o *JSONObserver) Event(e executor.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	data, _ := json.Marshal(e)
	fmt.Fprintf(o.W, "%s\n", data)
}

func (o *JSONObserver) Waiting(string, string, time.Duration) {}

// ApplyHuman prints the end of a successful apply and what to do next.
// undo is the command that restores the first backup.
func ApplyHuman(w io.Writer, res *executor.Result, backupsDir, undo string, st Style) {
	if !res.Changes.HasChanges() {
		fmt.Fprintln(w, NoChanges)
		return
	}
	if res.Rechecked {
		fmt.Fprintln(w, "Note: the settings changed while the server stopped (it writes them on shutdown); the re-read values were applied.")
	}
	add, change, remove := res.Changes.Summary()
	fmt.Fprintf(w, "\n%s %d added, %d changed, %d removed.\n", st.paint("1;32", "Apply complete!"), add, change, remove)
	if res.Downtime > 0 {
		fmt.Fprintf(w, "Downtime caused by plexform (stopped to start issued): %s\n", res.Downtime.Round(time.Millisecond))
	}
	for _, m := range res.Backups {
		fmt.Fprintf(w, "Backup %s of %s is in %s\n", m.ID, m.Target, backupsDir)
	}
	switch {
	case signinRepaired(res.Changes):
		fmt.Fprint(w, signinNextSteps(res.Changes, undo))
	case claimed(res.Changes):
		fmt.Fprintln(w, "The server is claimed again: it says claimed=\"1\". Sign in at http://127.0.0.1:32400/web with the account the claim token came from.")
	case removedSignIn(res.Changes):
		fmt.Fprint(w, nextSteps(undo))
	}
}

func claimed(ch *plan.Changes) bool {
	for _, cc := range ch.Claims {
		if cc.Claim {
			return true
		}
	}
	return false
}

func removedSignIn(ch *plan.Changes) bool {
	for _, rc := range ch.Resources {
		for _, v := range rc.Values {
			if v.Action == plan.Remove && strings.HasPrefix(strings.ToLower(v.StoreName), "plexonline") {
				return true
			}
		}
	}
	return false
}

func nextSteps(undo string) string {
	return fmt.Sprintf(`
Next: sign the server in again.
  1. From this machine, open http://127.0.0.1:32400/web and sign in; the server can
     only be claimed from the same machine or network. From elsewhere, tunnel first:
       ssh -L 32400:127.0.0.1:32400 HOST   then open http://127.0.0.1:32400/web
  2. If it still says "You do not have permission to access this server", clear the
     browser's cookies and site data for that address and sign in again.
  3. To undo this reset: %s
`, undo)
}

// ApplyJSON is the final line of `apply -json`. The downtime is given twice: in whole
// milliseconds, as it always was, and in microseconds, since a downtime near the floor
// (a rename and a start) is a few milliseconds and whole ones hide a change of half.
type ApplyJSON struct {
	Type       string   `json:"type"`
	Changes    JSON     `json:"changes"`
	DowntimeMs int64    `json:"downtime_ms"`
	DowntimeUs int64    `json:"downtime_us"`
	Backups    []string `json:"backups"`
	Rechecked  bool     `json:"rechecked"`
}

// FailureJSON is the final line of a failed `apply -json`.
type FailureJSON struct {
	Type       string `json:"type"`
	Error      string `json:"error"`
	RolledBack bool   `json:"rolled_back"`
	// Changed is false when the apply failed before it touched anything.
	Changed bool     `json:"changed"`
	Left    []string `json:"left"`
	Backups []string `json:"backups"`
}

// NothingChanged ends a failure that happened before anything on the host was touched.
const NothingChanged = "Nothing was changed."

// ApplyFailureHuman says what went wrong, then, always as its last words, the state the
// host is in: nothing was changed, rolled back to as it was, or exactly what is left.
// what names the command ("apply", "restore").
func ApplyFailureHuman(w io.Writer, st Style, what string, f *executor.Failure, backupsDir string) {
	fmt.Fprintf(w, "%s %s\n", Error(st), redact.PrintableLines(f.Err.Error()))
	switch {
	case !f.Changed:
		fmt.Fprintln(w, NothingChanged)
	case f.RolledBack:
		fmt.Fprintf(w, "The %s was rolled back: the host is as it was before.\n", what)
	default:
		undo := "rollback"
		if what == "recover" {
			undo = "recover" // it is not a rollback: it ends one that was cut short
		}
		fmt.Fprintf(w, "The %s is INCOMPLETE. What is left:\n", undo)
		for _, l := range f.Left {
			fmt.Fprintf(w, "  - %s\n", redact.PrintableLines(l))
		}
		fmt.Fprintf(w, "Backups are in %s (see `plexform backups`; put one back with `plexform restore ID`).\n", redact.Printable(backupsDir))
	}
}

// BackupIDs lists manifests' ids.
func BackupIDs(ms []*state.Manifest) []string {
	ids := []string{}
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}
