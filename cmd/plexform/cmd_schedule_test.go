package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/schedule"
	"github.com/plexform/plexform/state"
)

// A scheduled run's exit code and status: a broken sign-in that the run did not repair
// (the link code nobody entered rolled the apply back, or no relink:) is exit 5; a
// repaired one, a working one and an ordinary failure keep their codes.
func TestScheduledRunFinish(t *testing.T) {
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	planFile := filepath.Join(dir, "signin.yaml")
	if err := os.WriteFile(planFile, []byte("version: 1\nbackups: {dir: "+backups+"}\nresources:\n  - {name: p, kind: xml_attributes, path: /x.xml, absent: [A]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := func(relink string) *plan.Changes {
		return &plan.Changes{Signins: []*plan.SigninChange{{Verdict: plan.SigninBroken, Reason: "plex.tv rejects the stored token", Relink: relink}}}
	}
	for _, tc := range []struct {
		name    string
		changes *plan.Changes
		code    int
		want    int
		message string
		verdict string
	}{
		{"link code not entered", broken("link_code"), exitError, exitSigninNeedsPerson, "sign-in broken (plex.tv rejects the stored token) and not repaired unattended", "broken"},
		{"no relink", broken(""), exitOK, exitSigninNeedsPerson, "not repaired unattended", "broken"},
		{"repaired", broken("link_code"), exitOK, exitOK, "applied", "broken"},
		{"working", &plan.Changes{Signins: []*plan.SigninChange{{Verdict: plan.SigninWorking}}}, exitOK, exitOK, "no changes", "working"},
		{"unknown and failed", &plan.Changes{Signins: []*plan.SigninChange{{Verdict: plan.SigninUnknown, Reason: "the server cannot be asked"}}}, exitError, exitError, "failed, nothing changed or rolled back", "unknown"},
		{"incomplete", nil, exitIncomplete, exitIncomplete, "rollback is incomplete", ""},
	} {
		var stderr bytes.Buffer
		env := &cliEnv{stderr: &stderr, getenv: func(string) (string, bool) { return "", false }}
		run := &scheduledRun{name: "signin", planFile: planFile}
		run.saw(tc.changes)
		if got := run.finish(env, tc.code, ""); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
		line := strings.TrimSpace(stderr.String())
		if !strings.HasPrefix(line, "plexform schedule signin: exit ") || strings.Count(line, "\n") != 0 || !strings.Contains(line, tc.message) {
			t.Errorf("%s: line %q, want one line with %q", tc.name, line, tc.message)
		}
		st, err := schedule.ReadStatus(&state.Dir{Path: backups}, "signin")
		if err != nil || st.ExitCode != tc.want || st.Signin != tc.verdict || !strings.Contains(st.Message, tc.message) {
			t.Errorf("%s: status %+v, %v", tc.name, st, err)
		}
	}
}
