package views

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
)

// Ansible is the Ansible module's view: the one JSON object Ansible reads from a
// binary module's stdout as the task's result (ansible-core's plugins/action/__init__.py,
// _parse_returned_data). It is the Plan view in check mode and the Apply view
// otherwise, and Write prints it once the run is over.
//
// It is built only from the masked JSON view of the diff (PlanJSON) and from errors,
// which never quote a value, so it holds no secret: a binary module gets no per-field
// no_log.
type Ansible struct {
	result ansibleResult
	// withDiff is Ansible's --diff: the result carries before/after per resource.
	withDiff bool
	version  string
	// diffSeen is the last diff described, which last_change is looked up for.
	diffSeen *plan.Changes
	// events are the apply's warnings, kept apart until it ends so they follow the
	// diff's own warnings in the result.
	mu     sync.Mutex
	events []string
}

// The module's view is plan's in check mode and apply's otherwise.
var (
	_ Plan  = (*Ansible)(nil)
	_ Apply = (*Ansible)(nil)
)

// NewAnsible is the module's view; withDiff is Ansible's --diff.
func NewAnsible(version string, withDiff bool) *Ansible {
	return &Ansible{result: ansibleResult{ResourceChanges: []ResourceJSON{}, Backups: []string{}}, withDiff: withDiff, version: version}
}

type ansibleResult struct {
	Changed         bool           `json:"changed"`
	Failed          bool           `json:"failed"`
	Msg             string         `json:"msg"`
	ResourceChanges []ResourceJSON `json:"resource_changes"`
	DowntimeMs      int64          `json:"downtime_ms"`
	Backups         []string       `json:"backups"`
	// RolledBack and Left describe a failed apply: Left is what the rollback could not
	// put back.
	RolledBack *bool    `json:"rolled_back,omitempty"`
	Left       []string `json:"left,omitempty"`
	// Diff is Ansible's before/after per changed resource (--diff), values masked.
	Diff []ansibleDiff `json:"diff,omitempty"`
	// Warnings are shown by Ansible as [WARNING] lines.
	Warnings []string `json:"warnings,omitempty"`
	// Signin is the plan's plex_signin verdict (working, broken or unknown; the worst
	// when it has several), with its reason and evidence as plan shows them (they name
	// values, never hold them); all three are left out when the plan has none.
	Signin         string   `json:"signin,omitempty"`
	SigninReason   string   `json:"signin_reason,omitempty"`
	SigninEvidence []string `json:"signin_evidence,omitempty"`
	// Fleet is host, platform and last_change, for a fleet table
	// (examples/ansible/fleet-status.yml).
	*Fleet
}

// ansibleDiff is one entry of Ansible's diff list.
type ansibleDiff struct {
	BeforeHeader string `json:"before_header"`
	AfterHeader  string `json:"after_header"`
	Before       string `json:"before"`
	After        string `json:"after"`
}

// Write prints the result: the one JSON object of the module's run.
func (a *Ansible) Write(w io.Writer) error { return json.NewEncoder(w).Encode(&a.result) }

// Fail is a failure before anything changed.
func (a *Ansible) Fail(err error) {
	a.result.Failed, a.result.Msg = true, msgLine(err)
}

// Crashed is a panic's result: only its type is named, as plexform's own crash line
// does, since its value may hold anything.
func (a *Ansible) Crashed(panicked any) {
	a.result.Failed = true
	a.result.Msg = fmt.Sprintf("plexform stopped on an internal error (a panic of type %T); this is a bug, please report it. If an apply was running, `plexform recover` puts the host back as it was before it.", panicked)
}

// Identify fills host, platform and last_change (LastChange) for the last diff
// described. A backups dir that cannot be read costs only last_change, with a warning:
// the run itself is done.
func (a *Ansible) Identify(backups *state.Dir) {
	ch := a.diffSeen
	if ch == nil {
		ch = &plan.Changes{}
	}
	fleet, err := LastChange(backups, ch)
	if err != nil {
		a.result.Warnings = append(a.result.Warnings, err.Error())
		f := ThisHost(nil)
		fleet = &f
	}
	a.result.Fleet = fleet
}

// Changes is check mode's diff: changed when apply would change something.
func (a *Ansible) Changes(ch *plan.Changes, _ func() (*Fleet, error)) error {
	a.describe(ch)
	r := &a.result
	r.Changed = ch.HasChanges()
	if !r.Changed {
		r.Msg = NoChanges
		return nil
	}
	add, change, remove := ch.Summary()
	r.Msg = fmt.Sprintf("Check mode: apply would make %d to add, %d to change, %d to remove; nothing was written.", add, change, remove)
	return nil
}

// Refused fails check mode for what apply would refuse (a running Plex no service
// stops), as plan exits 1 for it.
func (a *Ansible) Refused(refused []string) { a.Fail(errors.New(strings.Join(refused, "\n"))) }

// Saved: the module saves no plan.
func (a *Ansible) Saved(string) {}

// Event keeps an apply's warnings for the result; progress lines have no reader under
// Ansible.
func (a *Ansible) Event(e executor.Event) {
	if e.Type != executor.EventWarning {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e.Message)
}

func (a *Ansible) Waiting(string, string, time.Duration) {}

// Plan sees the diff read under the lock, the one apply acts on: it is the result's
// resource_changes also when the apply then fails.
func (a *Ansible) Plan(ch *plan.Changes) { a.describe(ch) }

func (a *Ansible) Note(string) {}
func (a *Ansible) Asks() bool  { return false }

// Cleaned adds what the executor tidied up to the warnings, after the apply's own.
func (a *Ansible) Cleaned(lines []string) {
	a.takeEvents()
	a.result.Warnings = append(a.result.Warnings, lines...)
}

// Applied ends an apply that finished.
func (a *Ansible) Applied(res *executor.Result, _, _ string) {
	a.takeEvents()
	a.describe(res.Changes)
	r := &a.result
	if !res.Applied {
		r.Msg = NoChanges
		return
	}
	add, change, remove := res.Changes.Summary()
	r.Changed = true
	r.DowntimeMs = res.Downtime.Milliseconds()
	r.Backups = BackupIDs(res.Backups)
	r.Msg = fmt.Sprintf("Apply complete: %d added, %d changed, %d removed.", add, change, remove)
	if res.Downtime > 0 {
		r.Msg += fmt.Sprintf(" Downtime caused by plexform: %s.", res.Downtime.Round(time.Millisecond))
	}
}

// Failed reports a failed apply: rolled back, refused before any change, or left
// incomplete with what is left.
func (a *Ansible) Failed(f *executor.Failure, _, _ string) {
	a.takeEvents()
	r := &a.result
	r.Failed = true
	r.Backups = BackupIDs(f.Backups)
	rolledBack := f.RolledBack
	r.RolledBack = &rolledBack
	why := msgLine(f.Err)
	switch {
	case !f.RolledBack:
		r.Changed = true
		r.Left = append([]string{}, f.Left...)
		r.Msg = fmt.Sprintf("The apply failed and the rollback is incomplete: %s. Left as it is: %s. Backups: %s.",
			why, strings.Join(f.Left, "; "), strings.Join(r.Backups, ", "))
	case f.Changed:
		r.Msg = "The apply failed and was rolled back: the host is as it was before. Cause: " + why
	default:
		r.Msg = "The apply failed before it changed anything: " + why
	}
}

// takeEvents moves the apply's warnings into the result.
func (a *Ansible) takeEvents() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.result.Warnings = append(a.result.Warnings, a.events...)
	a.events = nil
}

// describe fills the result's view of a diff: resource_changes as plan -json has them,
// their warnings, and (with --diff) Ansible's before/after.
func (a *Ansible) describe(ch *plan.Changes) {
	a.diffSeen = ch
	r := &a.result
	doc := PlanJSON(ch, a.version)
	r.ResourceChanges = doc.ResourceChanges
	r.Diff = nil
	if verdict, reason, evidence, ok := SigninVerdict(ch.Signins); ok {
		r.Signin, r.SigninReason, r.SigninEvidence = verdict, reason, evidence
	}
	for _, rc := range doc.ResourceChanges {
		for _, w := range rc.Warnings {
			if !slices.Contains(r.Warnings, w) {
				r.Warnings = append(r.Warnings, w)
			}
		}
		if a.withDiff && rc.Actions[0] != "no-op" {
			r.Diff = append(r.Diff, diffOf(rc))
		}
	}
	// plan prints these as warnings too: a service whose state could not be read.
	for _, sc := range doc.ServiceChanges {
		if w := fmt.Sprintf("cannot read the state of %s (%s): %s", sc.Address, sc.Service, sc.StateError); sc.StateError != "" && !slices.Contains(r.Warnings, w) {
			r.Warnings = append(r.Warnings, w)
		}
	}
}

// diffOf is one resource's before and after, one `Name = value` line per value that
// changes. It is built from the JSON view, where a sensitive value is already only a
// name, so it cannot show one.
func diffOf(rc ResourceJSON) ansibleDiff {
	d := ansibleDiff{BeforeHeader: rc.Address + " (" + rc.Target + ")", AfterHeader: rc.Address + " (" + rc.Target + ")"}
	var before, after strings.Builder
	for _, v := range rc.Values {
		act := plan.Action(v.Action)
		if act == plan.NoOp {
			continue
		}
		if act == plan.Remove || act == plan.Change {
			fmt.Fprintf(&before, "%s = %s\n", v.StoreName, diffValue(v, v.Before))
		}
		if act == plan.Add || act == plan.Change {
			fmt.Fprintf(&after, "%s = %s\n", v.StoreName, diffValue(v, v.After))
		}
	}
	d.Before, d.After = before.String(), after.String()
	return d
}

func diffValue(v ValueJSON, text *string) string {
	switch {
	case v.Sensitive || v.Deferred || text == nil:
		return SensitiveText
	case v.Type != "":
		return strconv.Quote(*text) + " (" + v.Type + ")"
	}
	return strconv.Quote(*text)
}

// msgLine puts an error, which may list several problems on lines of their own ("2
// problems:\n  - a\n  - b"), on the one line of an Ansible msg: "2 problems: a; b".
func msgLine(err error) string {
	var b strings.Builder
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "- ")
		switch {
		case line == "":
			continue
		case b.Len() == 0:
		case strings.HasSuffix(b.String(), ":"):
			b.WriteString(" ")
		default:
			b.WriteString("; ")
		}
		b.WriteString(line)
	}
	return b.String()
}
