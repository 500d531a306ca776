package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/views"
)

// planJSON is a plan -json document as plan prints it, with the given signins.
func planJSON(t *testing.T, host string, last *time.Time, signins ...*plan.SigninChange) []byte {
	t.Helper()
	doc := views.PlanJSON(&plan.Changes{Signins: signins}, "test")
	doc.Fleet = &views.Fleet{Host: host, Platform: "linux/arm64", LastChange: last}
	var b bytes.Buffer
	if err := views.WriteJSON(&b, doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestParseReportRow: a plan -json document becomes its host's row: the worst verdict
// of its plex_signin resources with that one's reason, every resource's evidence, and
// the last change as written.
func TestParseReportRow(t *testing.T) {
	last := time.Date(2026, 11, 30, 4, 5, 6, 0, time.UTC)
	data := planJSON(t, "den", &last,
		&plan.SigninChange{Address: "a", Verdict: plan.SigninWorking, Reason: "fine", Evidence: []string{"stored token: present in /p"}},
		&plan.SigninChange{Address: "b", Verdict: plan.SigninUnknown, Reason: "the server cannot be asked", Evidence: []string{"server x: cannot be asked"}})
	row, err := parseReport("den.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if row.Host != "den" || row.Platform != "linux/arm64" || row.File != "den.json" || row.Signin != plan.SigninUnknown ||
		row.Reason != "the server cannot be asked" || row.LastChange == nil || !row.LastChange.Equal(last) ||
		strings.Join(row.Evidence, "|") != "a: stored token: present in /p|b: server x: cannot be asked" {
		t.Errorf("row: %+v", row)
	}
	// No plex_signin in the plan: "none", not a verdict.
	row, err = parseReport("nas.json", planJSON(t, "nas", nil))
	if err != nil || row.Signin != views.NoSignin || row.LastChange != nil {
		t.Errorf("a plan without plex_signin: %+v, %v", row, err)
	}
}

// TestParseReportRefuses: what is not plan -json output of this version is refused with
// an error that names the file and quotes nothing of it.
func TestParseReportRefuses(t *testing.T) {
	good := planJSON(t, "den", nil, &plan.SigninChange{Address: "s", Verdict: plan.SigninBroken})
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "the file ends before the JSON document does"},
		{"not JSON", "tok-SECRET-123456", "not valid JSON at line 1, column 2"},
		{"truncated", string(good[:len(good)/2]), "the file ends before the JSON document does"},
		{"an array", `["tok-SECRET"]`, "the document is a JSON array where plan -json has an object"},
		{"two documents", string(good) + `{"tok-SECRET": 1}`, "more follows the JSON document at line"},
		{"too deep", strings.Repeat(`[`, 600), "nesting deeper than"},
		{"other format", edit(func(m map[string]any) { m["format_version"] = "2.0" }), "no format_version 1.x"},
		{"a validate -json", `{"format_version": "1.0", "valid": true, "diagnostics": []}`, "lacks resource_changes or signin_changes"},
		{"no host", edit(func(m map[string]any) { delete(m, "host") }), "names no host"},
		{"host of another type", edit(func(m map[string]any) { m["host"] = 5 }), "host is a JSON number where plan -json has a string"},
		{"host too long", edit(func(m map[string]any) { m["host"] = strings.Repeat("h", 254) }), "longer than 253 bytes"},
		{"bad time", edit(func(m map[string]any) { m["last_change"] = "tok-SECRET-123456" }), "last_change is an RFC 3339 time"},
		{"null verdict entry", edit(func(m map[string]any) { m["signin_changes"] = []any{nil} }), "signin_changes[0] is null"},
		{"made-up verdict", edit(func(m map[string]any) {
			m["signin_changes"] = []any{map[string]any{"verdict": "tok-SECRET-123456"}}
		}), "signin_changes[0] has a verdict other than working, broken or unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseReport("fleet/den.json", []byte(tc.data))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.data)
			}
			if !strings.HasPrefix(err.Error(), "fleet/den.json ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one naming the file and saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "tok-SECRET") {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
}

// FuzzReportParse: no input panics the parser, no error quotes it, and a row it accepts
// prints as one table line per host with no control character from the file.
func FuzzReportParse(f *testing.F) {
	f.Add([]byte(`{"format_version": "1.0", "resource_changes": [], "signin_changes": [{"verdict": "broken", "evidence": ["x"]}], "host": "h", "platform": "linux/amd64", "last_change": null}`))
	f.Add([]byte(`{"format_version": "1.0", "resource_changes": [], "signin_changes": [], "host": "h\u001b[31m", "last_change": "2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"format_version": "1.0", "host": tok-SECRET}`))
	f.Add([]byte(`{"format_version": "1.0", "last_change": "tok-SECRET"}`))
	f.Add([]byte(strings.Repeat("{\"a\":", 600)))
	f.Fuzz(func(t *testing.T, data []byte) {
		row, err := parseReport("f.json", data)
		if err != nil {
			if strings.Contains(err.Error(), "tok-SECRET") {
				t.Fatalf("the error quotes the file: %v", err)
			}
			return
		}
		switch row.Signin {
		case plan.SigninWorking, plan.SigninBroken, plan.SigninUnknown, views.NoSignin:
		default:
			t.Fatalf("accepted the verdict %q", row.Signin)
		}
		var b bytes.Buffer
		if err := views.FleetTable(&b, []views.FleetRow{row}); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(b.String(), "\n"); n != 2 {
			t.Fatalf("one row printed as %d lines:\n%s", n-1, b.String())
		}
		if strings.ContainsFunc(b.String(), func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
			t.Fatalf("a control character from the file reached the table: %q", b.String())
		}
	})
}

// BenchmarkParseReport: one host's plan -json of 1,000 stores and a plex_signin, as
// report reads each file.
func BenchmarkParseReport(b *testing.B) {
	ch := &plan.Changes{Signins: []*plan.SigninChange{{Address: "signin", Verdict: plan.SigninBroken, Reason: "plex.tv rejects the stored token",
		Evidence: []string{"stored token: present in /srv/p.xml", "plex.tv https://plex.tv: rejects the stored token (HTTP 401)"}}}}
	for i := range 1000 {
		ch.Resources = append(ch.Resources, &plan.ResourceChange{Address: fmt.Sprintf("prefs%d", i), Kind: "xml_attributes",
			Target: fmt.Sprintf("/srv/plex%d/Preferences.xml", i), Exists: true})
	}
	doc := views.PlanJSON(ch, "test")
	doc.Fleet = &views.Fleet{Host: "den", Platform: "linux/amd64"}
	var buf bytes.Buffer
	if err := views.WriteJSON(&buf, doc); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseReport("den.json", buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
