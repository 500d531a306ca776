//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/plexsim"
)

// buildPlexform compiles this command, because the demo re-executes its own binary as
// the simulator and as the service commands, which a test binary cannot stand in for.
func buildPlexform(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "plexform")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/plexform/plexform/cmd/plexform").CombinedOutput()
	if err != nil {
		t.Fatalf("build plexform: %v\n%s", err, out)
	}
	return bin
}

var demoDirLine = regexp.MustCompile(`(?m)^plexform demo: a throw-away Plex host in (\S+)$`)

func runDemoBinary(t *testing.T, bin string, args ...string) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append([]string{"demo"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("plexform demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String() + stderr.String()
	if strings.Contains(out, plexsim.DemoToken) {
		t.Fatal("the demo printed its made-up token")
	}
	m := demoDirLine.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("the demo did not say where its host is:\n%s", out)
	}
	return stdout.String(), m[1]
}

func TestDemo(t *testing.T) {
	bin := buildPlexform(t)
	out, dir := runDemoBinary(t, bin)

	// The story in order: signed in, the plan, the apply, unclaimed, the backups.
	steps := []string{`claimed="1"`, "Plan: 0 to add, 0 to change, 4 to remove.", "Backed up", "Stopping plex", "Wrote", "Starting plex",
		"Apply complete! 0 added, 0 changed, 4 removed.", "Downtime caused by plexform", "holds none of the sign-in values", `claimed="0"`, "Backups in "}
	rest := out
	for _, s := range steps {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("the demo's output lacks %q after the steps before it:\n%s", s, out)
		}
		rest = rest[i+len(s):]
	}
	if !strings.Contains(rest, "-prefs") {
		t.Errorf("the backups list does not name the prefs resource:\n%s", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the demo left its host %s behind: %v", dir, err)
	}
}

func TestDemoKeep(t *testing.T) {
	bin := buildPlexform(t)
	out, dir := runDemoBinary(t, bin, "-keep")
	t.Cleanup(func() { os.RemoveAll(dir) })
	if !strings.Contains(out, "Kept the demo host in "+dir) {
		t.Errorf("the demo did not say it kept %s:\n%s", dir, out)
	}
	if plexsim.PidfileAlive(filepath.Join(dir, "run", "plexsim.pid")) {
		t.Error("the simulated server still runs after the demo")
	}
	prefs, err := os.ReadFile(filepath.Join(dir, "Library", "Application Support", "Plex Media Server", "Preferences.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(prefs), "PlexOnline") || !strings.Contains(string(prefs), `FriendlyName="demo-server"`) {
		t.Errorf("Preferences.xml after the demo is not the reset file (%d bytes)", len(prefs))
	}
	backups, err := filepath.Glob(filepath.Join(dir, "backups", "*-prefs.xml"))
	if err != nil || len(backups) != 1 {
		t.Fatalf("backups: %v, %v", backups, err)
	}
	backup, err := os.ReadFile(backups[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(backup), `PlexOnlineToken="`+plexsim.DemoToken+`"`) {
		t.Error("the backup does not hold the sign-in as it was")
	}
	if fi, err := os.Stat(backups[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode: %v, %v", fi.Mode(), err)
	}
}

func TestPidfileStatusWithoutPidfileIsStopped(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, getenv: func(string) (string, bool) { return "", false }}
	if code := run([]string{"__pidfile-status", filepath.Join(t.TempDir(), "none.pid")}, env); code != exitError {
		t.Errorf("status without a pid file = %d, want %d (stopped)", code, exitError)
	}
	if code := run([]string{"__pidfile-stop", filepath.Join(t.TempDir(), "none.pid")}, env); code != exitOK {
		t.Errorf("stop of nothing = %d, want %d; stderr %s", code, exitOK, stderr.String())
	}
}
