package views

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/state"
)

// kinds are the three views of an apply, each printing into its own buffers; an
// Ansible view prints its result only when written.
func kinds() map[string]func(out, errOut *bytes.Buffer) (Apply, func()) {
	streams := func(out, errOut *bytes.Buffer) Streams {
		return Streams{Stdout: out, Stderr: errOut, Version: "test"}
	}
	return map[string]func(out, errOut *bytes.Buffer) (Apply, func()){
		"human": func(out, errOut *bytes.Buffer) (Apply, func()) {
			return NewApply(KindHuman, streams(out, errOut)), func() {}
		},
		"json": func(out, errOut *bytes.Buffer) (Apply, func()) {
			return NewApply(KindJSON, streams(out, errOut)), func() {}
		},
		"ansible": func(out, _ *bytes.Buffer) (Apply, func()) {
			a := NewAnsible("test", false)
			return a, func() { _ = a.Write(out) }
		},
	}
}

// TestApplyViewsTellOneRun: the same events and result, told by each view the way its
// reader takes it; none of them holds the value the plan removed.
func TestApplyViewsTellOneRun(t *testing.T) {
	want := map[string][]string{
		"human": {"Backed up prefs\n", "Plan: 0 to add, 1 to change, 2 to remove.", "Apply complete! 0 added, 1 changed, 2 removed.",
			"Backup 20260101T120000Z-prefs of /p.xml is in /b", "To undo this reset: plexform restore 20260101T120000Z-prefs"},
		"json": {`{"time":"2026-01-01T12:00:00Z","type":"backed_up","resource":"prefs","message":"Backed up prefs"}` + "\n",
			`"type":"apply_complete"`, `"downtime_ms":1500`, `"backups":["20260101T120000Z-prefs"]`},
		"ansible": {`"changed":true`, `"msg":"Apply complete: 0 added, 1 changed, 2 removed. Downtime caused by plexform: 1.5s."`,
			`"backups":["20260101T120000Z-prefs"]`, `"warnings":["the lock was stale","removed a temp file"]`},
	}
	res := &executor.Result{Changes: sampleChanges(), Applied: true, Downtime: 1500 * time.Millisecond, Cleaned: []string{"removed a temp file"},
		Backups: []*state.Manifest{{ID: "20260101T120000Z-prefs", Resource: "prefs", Target: "/p.xml"}}}
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for kind, make := range kinds() {
		var out, errOut bytes.Buffer
		view, write := make(&out, &errOut)
		view.Plan(res.Changes)
		view.Event(executor.Event{Time: at, Type: executor.EventBackedUp, Resource: "prefs", Message: "Backed up prefs"})
		view.Event(executor.Event{Time: at, Type: executor.EventWarning, Message: "the lock was stale"})
		view.Cleaned(res.Cleaned)
		view.Applied(res, "/b", "plexform restore 20260101T120000Z-prefs")
		write()
		for _, w := range want[kind] {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: stdout lacks %q:\n%s", kind, w, out.String())
			}
		}
		if kind != "ansible" && !strings.Contains(errOut.String(), "removed a temp file") {
			t.Errorf("%s: stderr does not say what was cleaned: %q", kind, errOut.String())
		}
		if strings.Contains(out.String()+errOut.String(), secret) {
			t.Errorf("%s: the removed token was printed", kind)
		}
	}
}

// TestApplyViewsTellAnIncompleteRollback: a failure whose rollback left something is
// said with what is left, on stderr for people and in the document for machines.
func TestApplyViewsTellAnIncompleteRollback(t *testing.T) {
	f := FailureOf(&executor.Failure{Err: errors.New("write /p.xml: disk full"), Changed: true, Left: []string{"/p.xml is as apply wrote it"},
		Backups: []*state.Manifest{{ID: "20260101T120000Z-prefs"}}})
	if f.RolledBack {
		t.Fatal("FailureOf changed the failure it was given")
	}
	for kind, make := range kinds() {
		var out, errOut bytes.Buffer
		view, write := make(&out, &errOut)
		view.Failed(f, "apply", "/b")
		write()
		if kind != "ansible" && !strings.Contains(errOut.String(), "The rollback is INCOMPLETE. What is left:\n  - /p.xml is as apply wrote it\n") {
			t.Errorf("%s: stderr %q", kind, errOut.String())
		}
		var doc map[string]any
		switch kind {
		case "human":
			if out.Len() != 0 {
				t.Errorf("human: a failure printed on stdout: %q", out.String())
			}
			continue
		case "json", "ansible":
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("%s: stdout is not one JSON document: %v\n%s", kind, err, out.String())
			}
		}
		if doc["rolled_back"] != false || doc["left"] == nil {
			t.Errorf("%s: %s", kind, out.String())
		}
	}
	// An error that is no Failure happened before anything changed.
	if f := FailureOf(errors.New("locked")); !f.RolledBack || f.Changed {
		t.Errorf("FailureOf(plain error) = %+v", f)
	}
}

// TestOnlyTheHumanViewAsks: a question for "yes" would break a JSON stdout.
func TestOnlyTheHumanViewAsks(t *testing.T) {
	for kind, make := range kinds() {
		var out, errOut bytes.Buffer
		view, _ := make(&out, &errOut)
		view.Note("Found Plex's settings\n")
		if got := view.Asks(); got != (kind == "human") {
			t.Errorf("%s: Asks() = %v", kind, got)
		}
		if got := strings.Contains(out.String(), "Found"); got != (kind == "human") {
			t.Errorf("%s: the note printed: %v (%q)", kind, got, out.String())
		}
	}
}
