package plan_test

import (
	_ "github.com/plexform/plexform/kinds"
	. "github.com/plexform/plexform/plan"
	"os"
	"path/filepath"
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
		if got := ClimbsAboveRoot(p); got != want {
			t.Errorf("ClimbsAboveRoot(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestSetFromAFileThatClimbsIsRefused(t *testing.T) {
	_, err := Decode("p.yaml", []byte("version: 1\nresources:\n  - name: prefs\n    kind: xml_attributes\n    path: /x.xml\n    set: {A: {file: /run/../../secret}}\n"))
	if err == nil || !strings.Contains(err.Error(), `p.yaml:6:21: prefs.set.A.file "/run/../../secret" climbs above /`) {
		t.Fatalf("got %v", err)
	}
}

// Under -root a {file:} value is read inside the tree, an absolute link in it included.
func TestFileValueIsReadInsideTheRoot(t *testing.T) {
	base := t.TempDir()
	tree := filepath.Join(base, "tree")
	secret := filepath.Join(base, "outside-secret")
	for path, content := range map[string]string{secret: "OUTSIDE\n", filepath.Join(tree, secret): "INSIDE\n"} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(tree, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(tree, "run", "token")); err != nil {
		t.Fatal(err)
	}
	p := &Plan{File: filepath.Join(base, "plan.yaml")}
	got, err := p.Resolve(Source{File: "/run/token"}, tree, nil)
	if err != nil || got != "INSIDE" {
		t.Fatalf("Resolve = %q, %v; want the tree's file", got, err)
	}
}
