//go:build linux

package dockertest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

// The release's OCI image (packaging/Dockerfile: FROM scratch and the static binary),
// built by the engine itself, resets a Plex container by name when run as its README
// says: the engine's socket at /var/run/docker.sock and the container's config
// directory mounted at its host path. The binary is the release's when
// PLEXFORM_RELEASE_BINARY names it (scripts/release-test.sh sets it to the linux/amd64
// binary of the archive), else the static build of this checkout.
// The command is the issue's: `docker run --rm -v /var/run/docker.sock:/var/run/docker.sock
// -v DIR:DIR plexform reset -auto-approve -relink none`.
func TestReleaseImageResetsByName(t *testing.T) {
	e := dockertest.Need(t)
	bin := os.Getenv("PLEXFORM_RELEASE_BINARY")
	if bin == "" {
		bin = e.Plexform
	}
	ctx := t.TempDir()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "plexform"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	const tag = "localhost/plexform:release-image-test"
	build := e.Command("build", "-q", "-t", tag, "-f", filepath.Join(e.Repo, "packaging", "Dockerfile"), ctx)
	// The classic builder: FROM scratch needs no registry, and Debian's docker.io has no
	// buildx.
	build.Env = append(build.Env, "DOCKER_BUILDKIT=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build of packaging/Dockerfile: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = e.Command("rmi", "-f", tag).Run() })
	if got := e.Docker(t, "image", "inspect", "-f", "{{.Os}}/{{.Architecture}} {{json .Config.Entrypoint}} {{len .RootFS.Layers}}", tag); got != `linux/amd64 ["/plexform"] 1` {
		t.Errorf("image %s is %s, want linux/amd64 [\"/plexform\"] with one layer", tag, got)
	}
	t.Logf("image %s: %s bytes", tag, e.Docker(t, "image", "inspect", "-f", "{{.Size}}", tag))
	if out := e.Docker(t, "run", "--rm", tag, "version"); !strings.HasPrefix(out, "plexform ") {
		t.Errorf("docker run %s version printed %q", tag, out)
	}

	// On Plex's own port: reset's verify asks 127.0.0.1:32400, as on a host-network Plex.
	p := e.RunPlex(t, dockertest.Images[1], "plex", discovertest.PrefsXML, 32400, true)
	plexOwned(t, p)
	// Run as README's Docker paragraph says: the engine's socket, Plex's config directory
	// at its host path (the path the engine reports for the container's mount), and
	// /var/lib/plexform, where the backups go (the image's own file system goes with --rm).
	state := t.TempDir()
	// plexform's own container mounts that directory too: discovery and the running-Plex
	// guard tell it from Plex's by its id (discover.selfContainerIDs).
	before := e.StartedAt(t, "plex")
	socket := strings.TrimPrefix(e.Host, "unix://")
	reset := func() string {
		t.Helper()
		out, err := e.Command("run", "--rm", "--network", "host", "-e", "NO_COLOR=1",
			"-v", socket+":/var/run/docker.sock", "-v", p.ConfigDir+":"+p.ConfigDir, "-v", state+":/var/lib/plexform",
			tag, "reset", "-auto-approve", "-relink", "none").CombinedOutput()
		if err != nil {
			t.Fatalf("plexform reset in the image: %v\n%s", err, out)
		}
		return string(out)
	}
	out := reset()
	mustContain(t, "reset in the image", out, "Found how it runs: docker (Docker container plex", "Stopping plex", "Starting plex", "Reset complete")
	if backups, _ := filepath.Glob(filepath.Join(state, "backups", "*-prefs.xml")); len(backups) != 1 || read(t, backups[0]) != discovertest.PrefsXML {
		t.Errorf("want one backup of Preferences.xml as it was in the mounted %s/backups, found %v", state, backups)
	}
	after := checkReset(t, e, p, before, out)
	// A second reset finds nothing to change and leaves the container running as it was.
	out = reset()
	if e.StartedAt(t, "plex") != after {
		t.Errorf("the second reset restarted the container:\n%s", out)
	}
	mustContain(t, "second reset in the image", out, "Nothing to reset")
	noSignIn(t, out)
	// What the container saves when it stops again is what it read at its start: the
	// reset happened while it was stopped.
	e.Docker(t, "stop", "plex")
	got := read(t, p.Prefs)
	for _, a := range signIn {
		if strings.Contains(got, a) {
			t.Errorf("%s is back in Preferences.xml after the container saved its settings:\n%s", a, got)
		}
	}
}
