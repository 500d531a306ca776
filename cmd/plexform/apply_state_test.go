//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

const fullDiskPrefs = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<Preferences MachineIdentifier="m" PlexOnlineToken="tok-SECRET-123456" FriendlyName="den"/>` + "\n"

// Every failed apply ends by saying what state the host is in. A store on a full file
// system fails while its new content is staged, before the server is stopped: the last
// line says nothing was changed, and nothing was (the file, the server, no backup).
// An error found before the apply even starts (a {env:} that is not set) says the same.
func TestApplyFailureEndsWithTheHostsState(t *testing.T) {
	full := testtool.Tmpfs(t, "64k")
	prefs := filepath.Join(full, "Preferences.xml")
	if err := os.WriteFile(prefs, []byte(fullDiskPrefs), 0o640); err != nil {
		t.Fatal(err)
	}
	testtool.FillUp(t, full)
	dir := t.TempDir()
	up, stopped := filepath.Join(dir, "up"), filepath.Join(dir, "stopped")
	if err := os.WriteFile(up, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(dir, "plexform.yaml")
	writePlan := func(set string) {
		t.Helper()
		err := os.WriteFile(planFile, []byte(`version: 1
backups: {dir: `+filepath.Join(dir, "backups")+`}
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken], service: plex`+set+`}
  - name: plex
    kind: service
    manager: exec
    start: [touch, `+up+`]
    stop: [sh, -c, 'rm -f `+up+`; touch `+stopped+`']
    status: [test, -f, `+up+`]
`), 0o600)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, set, cause string }{
		{"no space while staging", "", "no space left on device"},
		{"before the apply starts", ", set: {FriendlyName: {env: PLEXFORM_TEST_UNSET}}", "PLEXFORM_TEST_UNSET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writePlan(tc.set)
			var stdout, stderr bytes.Buffer
			code := run([]string{"apply", "-auto-approve", "-f", planFile}, &cliEnv{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
				getenv: func(string) (string, bool) { return "", false }})
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if code != exitError || lines[len(lines)-1] != "Nothing was changed." || !strings.Contains(stderr.String(), tc.cause) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 1, the cause (%s), and last \"Nothing was changed.\"", code, stderr.String(), tc.cause)
			}
			if got, _ := os.ReadFile(prefs); string(got) != fullDiskPrefs {
				t.Errorf("the store changed:\n%s", got)
			}
			if _, err := os.Stat(stopped); err == nil {
				t.Error("the server was stopped for a write that could not be made")
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "backups")); len(entries) > 1 {
				t.Errorf("backups of an apply that changed nothing: %v", entries)
			}
		})
	}
	// -json says the same in its last line.
	writePlan("")
	var stdout, stderr bytes.Buffer
	run([]string{"apply", "-auto-approve", "-json", "-f", planFile}, &cliEnv{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(string) (string, bool) { return "", false }})
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var last struct {
		Type       string `json:"type"`
		Changed    *bool  `json:"changed"`
		RolledBack bool   `json:"rolled_back"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Type != "apply_failed" || last.Changed == nil || *last.Changed || !last.RolledBack {
		t.Errorf("apply -json's last line %q (%v), want apply_failed with changed false and rolled_back true", lines[len(lines)-1], err)
	}
}
