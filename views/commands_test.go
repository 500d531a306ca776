package views

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
)

// The views of the commands that print one result (version, validate, show, backups,
// report): the human text and the -json document, each chosen by its NewX. The txtar
// scripts under cmd/plexform check the same text end to end.

// buffers are a view's stdout and stderr, uncoloured.
func buffers() (*bytes.Buffer, *bytes.Buffer, Streams) {
	var out, errs bytes.Buffer
	return &out, &errs, Streams{Stdout: &out, Stderr: &errs}
}

func TestVersionViews(t *testing.T) {
	v := VersionInfo{Version: "1.2.0", Commit: "abc", BuildDate: "2026-12-07", GoVersion: "go1.25", OS: "linux", Arch: "arm64"}
	out, _, s := buffers()
	if err := NewVersion(KindHuman, s).Version(v); err != nil {
		t.Fatal(err)
	}
	if want := "plexform 1.2.0\ncommit abc\nbuilt 2026-12-07 with go1.25 for linux/arm64\n"; out.String() != want {
		t.Errorf("human:\n%q\nwant\n%q", out.String(), want)
	}
	out, _, s = buffers()
	if err := NewVersion(KindJSON, s).Version(v); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("-json is not JSON: %v\n%s", err, out)
	}
	if got["version"] != "1.2.0" || got["build_date"] != "2026-12-07" || got["arch"] != "arm64" || len(got) != 6 {
		t.Errorf("-json: %v", got)
	}
}

// TestValidateViews: a valid plan is a success line (with its warnings) for a person and
// valid:true in JSON; an invalid one is the error on stderr for a person and every
// problem at its place in JSON, with nothing on stderr.
func TestValidateViews(t *testing.T) {
	p := &plan.Plan{Resources: []*plan.Resource{{}}, Warnings: []plan.Warning{{File: "p.yaml", Pos: plan.Pos{Line: 3, Column: 5}, Msg: "did you mean PlexOnlineToken?"}}}
	out, errs, s := buffers()
	if valid, err := NewValidate(KindHuman, s).Result("p.yaml", p, nil); !valid || err != nil {
		t.Fatalf("valid plan: valid %v, %v", valid, err)
	}
	if want := "Warning: p.yaml:3:5: did you mean PlexOnlineToken?\nSuccess! p.yaml is a valid plan (1 resource, 0 verify checks).\n"; out.String() != want || errs.Len() != 0 {
		t.Errorf("human:\n%q\nwant\n%q; stderr %q", out.String(), want, errs.String())
	}

	bad := multierror.Append(&plan.Error{File: "p.yaml", Pos: plan.Pos{Line: 2, Column: 1}, Msg: "unknown field"}, errors.New("p.yaml: no resources"))
	out, errs, s = buffers()
	if valid, err := NewValidate(KindHuman, s).Result("p.yaml", nil, bad); valid || err != nil {
		t.Fatalf("invalid plan: valid %v, %v", valid, err)
	}
	if out.Len() != 0 || !strings.HasPrefix(errs.String(), "Error: ") || !strings.Contains(errs.String(), "unknown field") {
		t.Errorf("human, invalid: stdout %q, stderr %q", out.String(), errs.String())
	}

	out, errs, s = buffers()
	if valid, err := NewValidate(KindJSON, s).Result("p.yaml", nil, bad); valid || err != nil {
		t.Fatalf("-json, invalid plan: valid %v, %v", valid, err)
	}
	var doc ValidateJSON
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || errs.Len() != 0 {
		t.Fatalf("-json: %v, stderr %q\n%s", err, errs.String(), out)
	}
	want := []Diagnostic{{File: "p.yaml", Line: 2, Column: 1, Message: "unknown field"}, {File: "p.yaml", Message: "p.yaml: no resources"}}
	if doc.Valid || len(doc.Errors) != 2 || doc.Errors[0] != want[0] || doc.Errors[1] != want[1] || doc.Warnings == nil {
		t.Errorf("-json: %+v", doc)
	}
}

func TestShowViews(t *testing.T) {
	saved := &plan.Saved{Version: "1.2.0", CreatedAt: time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC), PlanFile: "plexform.yaml", Root: "/mnt/nas"}
	out, _, s := buffers()
	if err := NewShow(KindHuman, s).Saved(saved); err != nil {
		t.Fatal(err)
	}
	if want := "Saved plan made 2026-12-07 19:00:00 UTC from plexform.yaml for the host tree /mnt/nas.\n\n"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("human:\n%q\nwant it to start with\n%q", out.String(), want)
	}
	out, _, s = buffers()
	if err := NewShow(KindJSON, s).Saved(saved); err != nil {
		t.Fatal(err)
	}
	var doc JSON
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Version != "1.2.0" {
		t.Errorf("-json: %v, %+v", err, doc)
	}
}

// TestBackupsViews: a manifest that failed its checks is a warning on stderr for a
// person and a "skipped" entry in JSON, never a backup; no backups is a sentence, or
// an empty list.
func TestBackupsViews(t *testing.T) {
	problems := []error{errors.New("/b/x.json: its sha256 does not match")}
	out, errs, s := buffers()
	if err := NewBackups(KindHuman, s).List("/b", nil, problems); err != nil {
		t.Fatal(err)
	}
	if out.String() != "No backups in /b.\n" || errs.String() != "Warning: /b/x.json: its sha256 does not match\n" {
		t.Errorf("human: stdout %q, stderr %q", out.String(), errs.String())
	}

	list := []*state.Manifest{{ID: "20261207-1", Resource: "prefs", Target: "/p.xml", Time: time.Now(), Size: 42}}
	out, _, s = buffers()
	if err := NewBackups(KindHuman, s).List("/b", list, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "Backups in /b:" || !strings.HasPrefix(lines[2], "ID") || !strings.HasPrefix(lines[3], "20261207-1  prefs") {
		t.Errorf("human table:\n%s", out)
	}

	out, errs, s = buffers()
	if err := NewBackups(KindJSON, s).List("/b", nil, problems); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Dir     string            `json:"dir"`
		Backups []*state.Manifest `json:"backups"`
		Skipped []string          `json:"skipped"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Dir != "/b" || doc.Backups == nil || len(doc.Backups) != 0 || len(doc.Skipped) != 1 || errs.Len() != 0 {
		t.Errorf("-json: %v, %+v, stderr %q\n%s", err, doc, errs.String(), out)
	}
}

// TestReportViews: no host read prints no table, and in JSON two empty lists.
func TestReportViews(t *testing.T) {
	out, _, s := buffers()
	if err := NewReport(KindHuman, s).Fleet(nil, []string{"a.json is not plan -json output"}); err != nil || out.Len() != 0 {
		t.Errorf("human, no hosts: %v, %q", err, out.String())
	}
	out, _, s = buffers()
	if err := NewReport(KindJSON, s).Fleet(nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(out.String()), ""); got != `{"hosts":[],"errors":[]}` {
		t.Errorf("-json, nothing read: %s", out)
	}
}
