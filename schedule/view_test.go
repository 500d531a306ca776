package schedule

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// One run, two views: the table a person reads and the document a program reads say
// the same of it, and neither lets a terminal escape through from a status file.
func TestStatusViewsTellOneSchedule(t *testing.T) {
	rows := []Row{{
		Entry: Entry{Name: "signin", Plan: "/etc/plexform/plex-signin.yaml", Every: time.Hour, Scheduler: "systemd", State: "active"},
		Every: time.Hour.String(),
		Last: &Status{Name: "signin", ExitCode: 5, Signin: "broken", Finished: time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC),
			Message: "sign-in broken (no token) and not repaired unattended \x1b]0;pwned\x07"},
	}}
	var human bytes.Buffer
	if err := NewStatusView(false, &human).List("systemd", rows); err != nil {
		t.Fatal(err)
	}
	out := human.String()
	for _, want := range []string{"NAME", "signin", "active", "exit 5", "sign-in broken (no token)", "/etc/plexform/plex-signin.yaml"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") || strings.Count(out, "sign-in broken") != 1 {
		t.Errorf("the table shows a raw escape or the verdict twice:\n%q", out)
	}

	var doc bytes.Buffer
	if err := NewStatusView(true, &doc).List("systemd", rows); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Scheduler string `json:"scheduler"`
		Schedules []struct {
			Name  string `json:"name"`
			Every string `json:"every"`
			Last  struct {
				ExitCode int    `json:"exit_code"`
				Signin   string `json:"signin"`
			} `json:"last_result"`
		} `json:"schedules"`
	}
	if err := json.Unmarshal(doc.Bytes(), &got); err != nil {
		t.Fatalf("-json is no JSON document: %v\n%s", err, doc.String())
	}
	if got.Scheduler != "systemd" || len(got.Schedules) != 1 || got.Schedules[0].Name != "signin" || got.Schedules[0].Every != "1h0m0s" ||
		got.Schedules[0].Last.ExitCode != 5 || got.Schedules[0].Last.Signin != "broken" {
		t.Errorf("-json says %+v", got)
	}
}

// No schedule: the table says how to add one; the document has an empty list, not null.
func TestStatusViewsOfNothing(t *testing.T) {
	var human, doc bytes.Buffer
	if err := NewStatusView(false, &human).List("cron", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(human.String(), "No plexform schedules on this host (cron)") {
		t.Errorf("empty table: %q", human.String())
	}
	if err := NewStatusView(true, &doc).List("cron", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.String(), `"schedules": []`) {
		t.Errorf("empty document: %s", doc.String())
	}
}
