package views

import (
	"fmt"
	"io"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
)

// A command's view is chosen once, from its flags, as Terraform's views.NewApply(viewType)
// is: the human text, the -json documents, or the Ansible module's one result object
// (ansible.go). The commands (plan, apply, reset, the module; version, validate, show,
// backups and report with their views in NAME.go) then run one path and tell the view
// what happened; they never ask which view it is.

// Kind is the view a command prints: text for a person or -json.
type Kind int

const (
	KindHuman Kind = iota
	KindJSON
)

// KindFor is the view the -json flag chooses.
func KindFor(asJSON bool) Kind {
	if asJSON {
		return KindJSON
	}
	return KindHuman
}

// Streams are where a view prints and how.
type Streams struct {
	Stdout, Stderr io.Writer
	// Style colours stdout, ErrStyle stderr; Terminal says stdout is one (live lines).
	Style, ErrStyle Style
	Terminal        bool
	// Version is plexform's, for the JSON documents.
	Version string
}

// Plan is the view of a command that shows a diff and changes nothing: plan, and the
// Ansible module in check mode.
type Plan interface {
	// Changes shows the diff. fleet is this host's line of a fleet table (LastChange);
	// it is read only by the views that show it.
	Changes(ch *plan.Changes, fleet func() (*Fleet, error)) error
	// Refused says apply would refuse this plan (ch.Refused(): a running Plex that no
	// service stops).
	Refused(refused []string)
	// Saved says the plan was saved to path for `apply PATH`.
	Saved(path string)
}

// Apply is the view of a command that changes the host: apply, reset, and the Ansible
// module. It is the executor's Observer while the apply runs.
type Apply interface {
	executor.Observer
	// Plan shows what the apply will do, from the diff read under the lock, before any
	// question is asked.
	Plan(ch *plan.Changes)
	// Note is a line for a person reading along (what was found, where a plan was
	// written); only the human view prints it.
	Note(text string)
	// Asks reports whether a question for "yes" may be asked on stdout: not while
	// stdout carries JSON.
	Asks() bool
	// Cleaned reports what the executor tidied up of earlier runs (stale temp files).
	Cleaned(lines []string)
	// Applied ends an apply that finished, changing the host or finding nothing to do;
	// undo is the command that puts the first backup back.
	Applied(res *executor.Result, backupsDir, undo string)
	// Failed ends an apply that failed, with what failed and the state the host is in;
	// what names the command ("apply", "restore", "recover").
	Failed(f *executor.Failure, what, backupsDir string)
}

// Reset is reset's view: an apply's, ending with what reset did and how to sign in again.
type Reset interface {
	Apply
	Reset(res *executor.Result, end ResetEnd) error
}

// NewPlan is plan's view of kind.
func NewPlan(kind Kind, s Streams) Plan { return newView(kind, s) }

// NewApply is apply's view of kind.
func NewApply(kind Kind, s Streams) Apply { return newView(kind, s) }

// NewReset is reset's view of kind.
func NewReset(kind Kind, s Streams) Reset { return newView(kind, s) }

func newView(kind Kind, s Streams) interface {
	Plan
	Reset
} {
	if kind == KindJSON {
		return &jsonView{Streams: s, JSONObserver: &JSONObserver{W: s.Stdout}}
	}
	return &humanView{Streams: s, HumanObserver: &HumanObserver{W: s.Stdout, Terminal: s.Terminal}}
}

// FailureOf is err as an executor.Failure; an error that is not one happened before the
// apply changed anything, so there is nothing to roll back.
func FailureOf(err error) *executor.Failure {
	if f, ok := executor.IsFailure(err); ok {
		return f
	}
	return &executor.Failure{Err: err, RolledBack: true}
}

// humanView is the text for a person.
type humanView struct {
	Streams
	*HumanObserver
}

func (v *humanView) Changes(ch *plan.Changes, _ func() (*Fleet, error)) error {
	PlanHuman(v.Stdout, ch, v.Style)
	return nil
}

func (v *humanView) Refused([]string) { refused(v.Streams, "the errors above say") }

func (v *humanView) Saved(path string) {
	fmt.Fprintf(v.Stdout, "\nSaved the plan to %s. To apply exactly this plan: plexform apply %s\n", path, path)
}

func (v *humanView) Plan(ch *plan.Changes)  { PlanHuman(v.Stdout, ch, v.Style) }
func (v *humanView) Note(text string)       { fmt.Fprint(v.Stdout, text) }
func (v *humanView) Asks() bool             { return true }
func (v *humanView) Cleaned(lines []string) { cleaned(v.Stderr, lines) }

func (v *humanView) Applied(res *executor.Result, backupsDir, undo string) {
	if res.Applied {
		ApplyHuman(v.Stdout, res, backupsDir, undo, v.Style)
	}
}

func (v *humanView) Failed(f *executor.Failure, what, backupsDir string) {
	// The first line says a signal ended it ("interrupted by SIGTERM"); the last says
	// the state the host is in.
	ApplyFailureHuman(v.Stderr, v.ErrStyle, what, f, backupsDir)
}

func (v *humanView) Reset(res *executor.Result, end ResetEnd) error {
	fmt.Fprintln(v.Stdout)
	fmt.Fprint(v.Stdout, redact.PrintableLines(resetSummary(res, end)))
	return nil
}

// jsonView is -json: one document for plan, JSON lines (the events, then the end) for
// an apply. Errors still go to stderr as text.
type jsonView struct {
	Streams
	*JSONObserver
}

func (v *jsonView) Changes(ch *plan.Changes, fleet func() (*Fleet, error)) error {
	doc := PlanJSON(ch, v.Version)
	var err error
	if doc.Fleet, err = fleet(); err != nil {
		return err
	}
	return WriteJSON(v.Stdout, doc)
}

func (v *jsonView) Refused([]string) { refused(v.Streams, "each resource change's errors say") }
func (v *jsonView) Saved(string)     {}

func (v *jsonView) Plan(*plan.Changes)     {}
func (v *jsonView) Note(string)            {}
func (v *jsonView) Asks() bool             { return false }
func (v *jsonView) Cleaned(lines []string) { cleaned(v.Stderr, lines) }

func (v *jsonView) Applied(res *executor.Result, _, _ string) {
	_ = WriteJSONLine(v.Stdout, v.complete("apply_complete", res))
}

// complete is the last line of a finished apply.
func (v *jsonView) complete(typ string, res *executor.Result) ApplyJSON {
	out := ApplyJSON{Type: typ, Changes: PlanJSON(res.Changes, v.Version), Backups: []string{}}
	if res.Applied {
		out.DowntimeMs, out.DowntimeUs, out.Backups, out.Rechecked = res.Downtime.Milliseconds(), res.Downtime.Microseconds(), BackupIDs(res.Backups), res.Rechecked
	}
	return out
}

func (v *jsonView) Failed(f *executor.Failure, what, backupsDir string) {
	_ = WriteJSONLine(v.Stdout, FailureJSON{Type: "apply_failed", Error: f.Err.Error(), RolledBack: f.RolledBack, Changed: f.Changed,
		Left: append([]string{}, f.Left...), Backups: BackupIDs(f.Backups)})
	ApplyFailureHuman(v.Stderr, v.ErrStyle, what, f, backupsDir)
}

func (v *jsonView) Reset(res *executor.Result, end ResetEnd) error {
	return WriteJSONLine(v.Stdout, resetJSON{ApplyJSON: v.complete("reset_complete", res), BackupsDir: end.BackupsDir, Undo: end.Undo,
		SignIn: end.Advice, Relinked: end.Relinked})
}

// refused says, on stderr, that apply would refuse the plan; where says where the
// reasons are.
func refused(s Streams, where string) {
	fmt.Fprintf(s.Stderr, "%s apply will refuse this plan while Plex Media Server runs with a file it changes; %s what runs and what to add to the plan.\n", Error(s.ErrStyle), where)
}

func cleaned(w io.Writer, lines []string) {
	for _, line := range lines {
		fmt.Fprintln(w, redact.PrintableLines(line))
	}
}
