//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

// doctor on a Docker host reports the container: image, network, config dir, the
// account its PUID makes Plex run as against the file's owner, and a PLEX_CLAIM left in
// its environment, never its value.
func TestDoctorContainer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give Preferences.xml another owner")
	}
	cfg := t.TempDir()
	prefs := filepath.Join(cfg, "Library", "Application Support", "Plex Media Server", "Preferences.xml")
	if err := os.MkdirAll(filepath.Dir(prefs), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefs, []byte(discovertest.PrefsXML), 0o644); err != nil {
		t.Fatal(err)
	}
	eng := dockertest.NewFakeEngine(t, &dockertest.Container{ID: "0123456789ab", Name: "plex", Image: "lscr.io/linuxserver/plex:latest", Running: true,
		NetworkMode: "bridge", Env: []string{"PUID=1000", "PGID=1000", "PLEX_CLAIM=claim-SeCrEtSeCrEtSeCrEt12"},
		Mounts: []dockertest.Mount{{Type: "bind", Source: cfg, Destination: "/config"}}})
	var out, errOut strings.Builder
	code := run([]string{"doctor", "-url", "http://127.0.0.1:1"}, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(name string) (string, bool) { return eng.Host, name == "DOCKER_HOST" }})
	got := out.String() + errOut.String()
	if code != exitError {
		t.Errorf("doctor exited %d, want 1 (the owner is a problem):\n%s", code, got)
	}
	for _, want := range []string{
		"plex: image lscr.io/linuxserver/plex:latest, network bridge, config dir " + cfg,
		"plex_claim method: exchange",
		"PLEX_CLAIM is set in the container's environment",
		"PUID=1000 PGID=1000; " + prefs + " is owned by 0:0",
		"chown 1000:1000 '" + prefs + "'",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "SeCrEt") || strings.Contains(got, "FixtureTok3n") {
		t.Errorf("doctor printed a secret:\n%s", got)
	}
}
