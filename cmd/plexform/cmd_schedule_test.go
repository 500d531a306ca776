package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/schedule"
	"github.com/plexform/plexform/state"
)

// A scheduled run's exit code and status: a broken sign-in that waits for a person (the
// link code nobody entered or the claim token plex.tv refused rolled the apply back, or
// no relink:) is exit 5; a plex.tv outage, a repaired one, a working one and an ordinary
// failure keep their codes, a failure with its cause as the message.
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
	outage := fmt.Errorf("signin: ask plex.tv for a link code at https://plex.tv: no answer: %w", errors.New("dial tcp: network is unreachable"))
	for _, tc := range []struct {
		name    string
		changes *plan.Changes
		code    int
		err     error // why the apply failed
		want    int
		message string
		verdict string
	}{
		{"link code not entered", broken("link_code"), exitError, fmt.Errorf("signin: %w", signin.ErrPinExpired), exitSigninNeedsPerson, "sign-in broken (plex.tv rejects the stored token) and not repaired unattended", "broken"},
		{"claim token refused", broken("claim_token"), exitError, fmt.Errorf("signin: %w", signin.ErrRejected), exitSigninNeedsPerson, "not repaired unattended", "broken"},
		{"plex.tv outage", broken("link_code"), exitError, outage, exitError, "failed, nothing changed or rolled back: signin: ask plex.tv for a link code at https://plex.tv: no answer: dial tcp: network is unreachable", "broken"},
		{"no relink", broken(""), exitOK, nil, exitSigninNeedsPerson, "not repaired unattended", "broken"},
		{"repaired", broken("link_code"), exitOK, nil, exitOK, "applied", "broken"},
		{"working", &plan.Changes{Signins: []*plan.SigninChange{{Verdict: plan.SigninWorking}}}, exitOK, nil, exitOK, "no changes", "working"},
		{"unknown and failed", &plan.Changes{Signins: []*plan.SigninChange{{Verdict: plan.SigninUnknown, Reason: "the server cannot be asked"}}}, exitError, nil, exitError, "failed, nothing changed or rolled back", "unknown"},
		{"incomplete", nil, exitIncomplete, nil, exitIncomplete, "rollback is incomplete", ""},
	} {
		var stderr bytes.Buffer
		env := &cliEnv{stderr: &stderr, getenv: func(string) (string, bool) { return "", false }}
		run := &scheduledRun{name: "signin", planFile: planFile}
		run.saw(tc.changes)
		run.failed(tc.err)
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
