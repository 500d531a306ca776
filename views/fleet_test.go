package views

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/plan"
)

// TestFleetTable: one line per row, the last change in UTC, an empty cell as "-", and a
// terminal escape sequence from a collected file escaped, never printed.
func TestFleetTable(t *testing.T) {
	last := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	var b bytes.Buffer
	err := FleetTable(&b, []FleetRow{
		{Fleet: Fleet{Host: "den", Platform: "linux/arm64", LastChange: &last}, Signin: plan.SigninWorking, Reason: "plex.tv accepts the stored token", File: "den.json"},
		{Fleet: Fleet{Host: "evil\x1b]0;owned\x07\tnas"}, Signin: plan.SigninBroken, File: "nas.json"},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and two rows:\n%s", b.String())
	}
	if f := strings.Fields(lines[1]); strings.Join(f[:4], " ") != "den linux/arm64 working 2026-12-01T09:00:00Z" {
		t.Errorf("row 1: %q", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) != 6 || f[0] != `evil\x1b]0;owned\x07\x09nas` || f[1] != "-" || f[3] != "never" || f[4] != "-" {
		t.Errorf("row 2: %q", lines[2])
	}
}

// TestSigninVerdict: the worst verdict wins whatever the order; no plex_signin is no
// verdict.
func TestSigninVerdict(t *testing.T) {
	for _, order := range [][]string{{plan.SigninBroken, plan.SigninUnknown, plan.SigninWorking}, {plan.SigninWorking, plan.SigninUnknown, plan.SigninBroken}} {
		var list []*plan.SigninChange
		for _, v := range order {
			list = append(list, &plan.SigninChange{Address: v, Verdict: v, Reason: "because " + v, Evidence: []string{"seen"}})
		}
		verdict, reason, evidence, ok := SigninVerdict(list)
		if !ok || verdict != plan.SigninBroken || reason != "because broken" || len(evidence) != 3 {
			t.Errorf("%v: %s, %q, %v, %v", order, verdict, reason, evidence, ok)
		}
	}
	if v, _, ev, ok := SigninVerdict(nil); ok || v != "" || ev == nil {
		t.Errorf("no plex_signin: %q %v %v", v, ev, ok)
	}
}
