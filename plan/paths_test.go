package plan

import (
	"strings"
	"testing"
)

func TestClimbsAboveRoot(t *testing.T) {
	for p, want := range map[string]bool{
		"/srv/../../etc/x":  true,
		"/..":               true,
		"/a/b/../../../x":   true,
		`C:\Plex\..\..\x`:   true,
		"/srv/x/../plex":    false,
		"/a/./b/..":         false,
		"../prefs.xml":      false, // relative to the plan file: the plan's own files
		"srv/../../x":       false,
		`C:\Plex\..\x`:      false,
		"/var/lib/plex..x/": false,
	} {
		if got := climbsAboveRoot(p); got != want {
			t.Errorf("climbsAboveRoot(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestSetFromAFileThatClimbsIsRefused(t *testing.T) {
	_, err := Decode("p.yaml", []byte("version: 1\nresources:\n  - name: prefs\n    kind: xml_attributes\n    path: /x.xml\n    set: {A: {file: /run/../../secret}}\n"))
	if err == nil || !strings.Contains(err.Error(), `p.yaml:6:21: prefs.set.A.file "/run/../../secret" climbs above /`) {
		t.Fatalf("got %v", err)
	}
}
