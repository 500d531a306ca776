//go:build linux

package dockertest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/discover/discovertest"
	"github.com/plexform/plexform/internal/dockertest"
)

// The release's OCI image (packaging/Dockerfile: FROM scratch and the static binary),
// built by the engine itself, resets a Plex container by name when run as its README
// says: the engine's socket at /var/run/docker.sock and the container's config
// directory mounted at its host path. The binary is the release's when
// PLEXFORM_RELEASE_BINARY names it (scripts/release-test.sh sets it to the linux/amd64
// binary of the archive), else the static build of this checkout.
//
// The line is `docker run ... plexform reset -auto-approve -relink none`; until
// the reset command exists, the same reset is an apply of a plan mounted into the image.
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

	p := e.RunPlex(t, dockertest.Images[1], "plex", discovertest.PrefsXML, 0, true)
	if err := os.Chown(p.Prefs, 1000, 1001); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p.Prefs, 0o640); err != nil {
		t.Fatal(err)
	}
	// path: names the file: plexform's own container mounts the config dir too, so
	// discovery would find two "Plex" containers (the reset command of issue 24 item 1
	// has to tell its own container from Plex's).
	planDir := t.TempDir()
	plan := filepath.Join(planDir, "reset.yaml")
	if err := os.WriteFile(plan, []byte(`version: 1
backups: {dir: `+filepath.Join(planDir, "backups")+`}
resources:
  - name: prefs
    kind: plex_preferences
    path: '`+p.Prefs+`'
    absent: [PlexOnlineToken, PlexOnlineMail, PlexOnlineUsername, PlexOnlineHome]
    service: plex
  - name: plex
    kind: service
    manager: docker
    container: plex
    timeout: 30s
verify:
  - http: {url: '`+p.URL()+`/identity', status: 200, contains: 'claimed="0"', timeout: 10s}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	socket := strings.TrimPrefix(e.Host, "unix://")
	run := e.Command("run", "--rm", "--network", "host", "-e", "NO_COLOR=1",
		"-v", socket+":/var/run/docker.sock", "-v", p.ConfigDir+":"+p.ConfigDir, "-v", planDir+":"+planDir,
		tag, "apply", "-auto-approve", "-f", plan)
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("plexform apply in the image: %v\n%s", err, out)
	}
	mustContain(t, "apply in the image", string(out), "Stopping plex (docker container plex)", "Apply complete!")
	if strings.Contains(string(out), "FixtureTok3n") {
		t.Errorf("the token was printed")
	}
	checkOwner(t, p.Prefs)
	// What the container saves when it stops again is what it read at its start: the
	// reset happened while it was stopped.
	e.Docker(t, "stop", "plex")
	got := read(t, p.Prefs)
	for _, a := range signIn {
		if strings.Contains(got, a) {
			t.Errorf("%s is still in Preferences.xml after the image's reset:\n%s", a, got)
		}
	}
}
