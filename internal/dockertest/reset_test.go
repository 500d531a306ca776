//go:build linux

package dockertest_test

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

// signInAttr matches one of the four sign-in attributes of a Preferences.xml.
var signInAttr = regexp.MustCompile(` PlexOnline(Token|Mail|Username|Home)="[^"]*"`)

// plexOwned gives Preferences.xml the owner and mode checkOwner expects after a reset.
func plexOwned(t *testing.T, p *dockertest.Plex) {
	t.Helper()
	if err := os.Chown(p.Prefs, 1000, 1001); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p.Prefs, 0o640); err != nil {
		t.Fatal(err)
	}
}

// checkReset checks a reset of p's container: Preferences.xml is discovertest.PrefsXML
// without the four values, byte for byte, with its owner and mode kept, no sign-in value
// is in out, and the container was stopped and started again since it started at
// before. It returns the new start time.
func checkReset(t *testing.T, e *dockertest.Env, p *dockertest.Plex, before, out string) string {
	t.Helper()
	noSignIn(t, out)
	if got, want := read(t, p.Prefs), signInAttr.ReplaceAllString(discovertest.PrefsXML, ""); got != want {
		t.Errorf("Preferences.xml after the reset:\n%s\nwant (the four values removed, all else byte for byte):\n%s", got, want)
	}
	checkOwner(t, p.Prefs)
	after := e.StartedAt(t, p.Name)
	if after == before || !strings.HasSuffix(after, " true") {
		t.Errorf("the container %s was not stopped and started again: started %s before, %s after", p.Name, before, after)
	}
	return after
}

// noSignIn checks that out holds none of discovertest.PrefsXML's sign-in values.
func noSignIn(t *testing.T, out string) {
	t.Helper()
	for _, v := range []string{"FixtureTok3n", "fixture-mail", "fixture-user"} {
		if strings.Contains(out, v) {
			t.Errorf("a sign-in value was printed:\n%s", out)
		}
	}
}

// reset on a plain Docker host finds the Plex container through the engine (no plan, no
// -root), stops it, removes the four values and starts it again; a second reset changes
// nothing and restarts nothing.
func TestResetOnDockerHost(t *testing.T) {
	e := dockertest.Need(t)
	// As root the backups go to /var/lib/plexform/backups: leave that as found.
	const state = "/var/lib/plexform"
	if _, err := os.Stat(state); os.Geteuid() == 0 && errors.Is(err, os.ErrNotExist) {
		t.Cleanup(func() { os.RemoveAll(state) })
	}
	// On Plex's own port: reset's verify asks 127.0.0.1:32400.
	p := e.RunPlex(t, dockertest.Images[0], "plex", discovertest.PrefsXML, 32400, true)
	plexOwned(t, p)
	before := e.StartedAt(t, "plex")
	out, errOut, code := plexform(t, e, nil, "reset", "-auto-approve", "-relink", "none")
	if code != 0 {
		t.Fatalf("reset exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "reset", out, "Found how it runs: docker (Docker container plex", "Stopping plex", "Starting plex", "Reset complete")
	after := checkReset(t, e, p, before, out+errOut)

	out, errOut, code = plexform(t, e, nil, "reset", "-auto-approve", "-relink", "none")
	if code != 0 {
		t.Fatalf("second reset exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "second reset", out, "Nothing to reset")
	noSignIn(t, out+errOut)
	if e.StartedAt(t, "plex") != after {
		t.Errorf("the second reset restarted the container:\n%s", out)
	}
}
