//go:build linux

package dockertest_test

// End-to-end tests of plexform against a real Docker engine: the four Plex images
// (faked by plexform's own simulator, which saves its settings over Preferences.xml on
// SIGTERM as PMS does), driven through the docker manager and found by discovery.

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

func TestMain(m *testing.M) { os.Exit(dockertest.Main(m)) }

var signIn = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

// plexform runs the binary with the engine's DOCKER_HOST and returns stdout, stderr and
// the exit code.
func plexform(t *testing.T, e *dockertest.Env, extraEnv []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(e.Plexform, args...)
	cmd.Env = append(append(os.Environ(), "DOCKER_HOST="+e.Host, "NO_COLOR=1"), extraEnv...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func writePlan(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// resetPlan is examples/plex-reset.yaml with its backups in a temp dir and the verify
// pointed at the test's port.
func resetPlan(t *testing.T, p *dockertest.Plex, extra string) string {
	return writePlan(t, `version: 1
backups: {dir: `+filepath.Join(t.TempDir(), "backups")+`}
resources:
  - name: prefs
    kind: plex_preferences
    absent: [PlexOnlineToken, PlexOnlineMail, PlexOnlineUsername, PlexOnlineHome]
    service: plex
`+extra+`  - name: plex
    kind: plex_service
    timeout: 30s
verify:
  - http: {url: '`+p.URL()+`/identity', status: 200, contains: 'claimed="0"', timeout: 10s}
`)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// Each image is found with its own layout, planned and reset while it runs: the
// simulator writes its in-memory settings back when it stops, so had plexform written
// before the stop, the sign-in would be back after the next stop.
func TestResetEachImage(t *testing.T) {
	e := dockertest.Need(t)
	for _, img := range dockertest.Images {
		t.Run(strings.Split(img.Tag, ":")[0], func(t *testing.T) {
			p := e.RunPlex(t, img, "plex", discovertest.PrefsXML, 0, false)
			// Owned by the user Plex runs as (PUID/PLEX_UID), not by root.
			if err := os.Chown(p.Prefs, 1000, 1001); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p.Prefs, 0o640); err != nil {
				t.Fatal(err)
			}
			e.Docker(t, "start", "plex")
			dockertest.WaitHTTP(t, p.URL()+"/identity")
			plan := resetPlan(t, p, "")
			out, errOut, code := plexform(t, e, nil, "plan", "-f", plan)
			if code != 0 {
				t.Fatalf("plan exited %d:\n%s%s", code, out, errOut)
			}
			mustContain(t, "plan", out, "Docker container plex (image "+img.Tag, p.Prefs, "docker container plex", "Plan: 0 to add, 0 to change, 4 to remove.")
			out, errOut, code = plexform(t, e, nil, "apply", "-auto-approve", "-f", plan)
			if code != 0 {
				t.Fatalf("apply exited %d:\n%s%s", code, out, errOut)
			}
			mustContain(t, "apply", out, "Stopping plex (docker container plex)", "Apply complete!")
			if strings.Contains(out+errOut, "FixtureTok3n") {
				t.Errorf("the token was printed")
			}
			checkOwner(t, p.Prefs)
			// Stop it again: what the simulator saves is what it read at its start.
			e.Docker(t, "stop", "plex")
			got := read(t, p.Prefs)
			for _, a := range signIn {
				if strings.Contains(got, a) {
					t.Errorf("%s is back in Preferences.xml after the container saved its settings:\n%s", a, got)
				}
			}
			mustContain(t, "Preferences.xml", got, `FriendlyName="den"`, `MachineIdentifier="0f3e2d1c-aaaa-bbbb-cccc-123456789abc"`)
		})
	}
}

func checkOwner(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 1000 || st.Gid != 1001 || fi.Mode().Perm() != 0o640 {
		t.Errorf("Preferences.xml is %d:%d %o after the reset, want 1000:1001 640", st.Uid, st.Gid, fi.Mode().Perm())
	}
}

// examples/plex-reset.yaml, unchanged, resets a Docker host as a new user would run it
// (its verify asks 127.0.0.1:32400, so the container serves there).
func TestExampleUnchanged(t *testing.T) {
	e := dockertest.Need(t)
	// As root the example's backups go to /var/lib/plexform/backups: leave that as found.
	const backups = "/var/lib/plexform"
	if _, err := os.Stat(backups); os.Geteuid() == 0 && errors.Is(err, os.ErrNotExist) {
		t.Cleanup(func() { os.RemoveAll(backups) })
	}
	p := e.RunPlex(t, dockertest.Images[1], "plex", discovertest.PrefsXML, 32400, true)
	example := filepath.Join(e.Repo, "examples", "plex-reset.yaml")
	out, errOut, code := plexform(t, e, nil, "apply", "-auto-approve", "-f", example)
	if code != 0 {
		t.Fatalf("apply of the example exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "apply", out, "Apply complete!")
	before := e.StartedAt(t, "plex")
	out, errOut, code = plexform(t, e, nil, "apply", "-auto-approve", "-f", example)
	if code != 0 {
		t.Fatalf("second apply exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "second apply", out, "No changes.")
	if after := e.StartedAt(t, "plex"); after != before {
		t.Errorf("the second apply restarted the container: started %s, now %s", before, after)
	}
	if got := read(t, p.Prefs); strings.Contains(got, "PlexOnlineToken") {
		t.Errorf("the token is still there:\n%s", got)
	}
}

func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b), err
}

// A second apply changes nothing and restarts nothing.
func TestSecondApplyRestartsNothing(t *testing.T) {
	e := dockertest.Need(t)
	p := e.RunPlex(t, dockertest.Images[0], "plex", discovertest.PrefsXML, 0, true)
	plan := resetPlan(t, p, "")
	if out, errOut, code := plexform(t, e, nil, "apply", "-auto-approve", "-f", plan); code != 0 {
		t.Fatalf("apply exited %d:\n%s%s", code, out, errOut)
	}
	before, file := e.StartedAt(t, "plex"), read(t, p.Prefs)
	out, errOut, code := plexform(t, e, nil, "apply", "-auto-approve", "-f", plan)
	if code != 0 {
		t.Fatalf("second apply exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "second apply", out, "No changes.")
	if strings.Contains(out, "Stopping") {
		t.Errorf("the second apply stopped something:\n%s", out)
	}
	if after := e.StartedAt(t, "plex"); after != before {
		t.Errorf("the container was restarted: %s, now %s", before, after)
	}
	if read(t, p.Prefs) != file {
		t.Errorf("Preferences.xml changed on the second apply")
	}
}

// A container that will not start after the change rolls back: the file byte for byte
// and the container running as it was.
func TestRefusedStartRollsBack(t *testing.T) {
	e := dockertest.Need(t)
	// The simulator refuses to start while Preferences.xml has Broken, which the plan sets.
	p := e.RunPlex(t, dockertest.Images[2], "plex", discovertest.PrefsXML, 0, true, "-refuse-if-attr", "Broken")
	// The verify asks only that the server answers: before the apply it is signed in.
	plan := resetPlan(t, p, "")
	plan = writePlan(t, strings.NewReplacer("    service: plex\n", "    set: {Broken: '1'}\n    service: plex\n", ` contains: 'claimed="0"',`, "", "timeout: 10s", "timeout: 5s").Replace(read(t, plan)))
	before := read(t, p.Prefs)
	out, errOut, code := plexform(t, e, nil, "apply", "-auto-approve", "-f", plan)
	if code != 1 {
		t.Fatalf("apply exited %d, want 1 (rolled back):\n%s%s", code, out, errOut)
	}
	mustContain(t, "apply", out+errOut, "Rolling back", "Restored "+p.Prefs, "The apply was rolled back: the host is as it was before.")
	if got := read(t, p.Prefs); got != before {
		t.Errorf("Preferences.xml after the rollback:\n%s\nwant byte for byte:\n%s", got, before)
	}
	if st := e.StartedAt(t, "plex"); !strings.HasSuffix(st, " true") {
		t.Errorf("the container is not running after the rollback: %s", st)
	}
	dockertest.WaitHTTP(t, p.URL()+"/identity")
}

// Two Plex containers: discovery names both, with image and config dir, and says how
// to choose; a kind: service with container: then chooses.
func TestTwoContainers(t *testing.T) {
	e := dockertest.Need(t)
	a := e.RunPlex(t, dockertest.Images[0], "plex-a", discovertest.PrefsXML, 0, true)
	b := e.RunPlex(t, dockertest.Images[3], "plex-b", discovertest.PrefsXML, 0, false)
	plan := resetPlan(t, a, "")
	out, errOut, code := plexform(t, e, nil, "plan", "-f", plan)
	if code != 1 {
		t.Fatalf("plan exited %d, want 1:\n%s%s", code, out, errOut)
	}
	mustContain(t, "plan's error", errOut, "2 Plex containers found",
		"plex-a: image "+dockertest.Images[0].Tag+", config dir "+a.ConfigDir,
		"plex-b: image "+dockertest.Images[3].Tag+", config dir "+b.ConfigDir,
		"manager: docker", "container: plex-a")

	chosen := writePlan(t, `version: 1
backups: {dir: `+filepath.Join(t.TempDir(), "backups")+`}
resources:
  - {name: prefs, kind: plex_preferences, path: '`+a.Prefs+`', absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, manager: docker, container: plex-a, timeout: 30s}
verify:
  - http: {url: '`+a.URL()+`/identity', status: 200}
`)
	out, errOut, code = plexform(t, e, nil, "apply", "-auto-approve", "-f", chosen)
	if code != 0 {
		t.Fatalf("apply with container: exited %d:\n%s%s", code, out, errOut)
	}
	if strings.Contains(read(t, a.Prefs), "PlexOnlineToken") || !strings.Contains(read(t, b.Prefs), "PlexOnlineToken") {
		t.Errorf("the wrong container's settings changed")
	}
}

// A container that does not exist is an error at plan time, before anything stops.
func TestMissingContainer(t *testing.T) {
	e := dockertest.Need(t)
	p := e.RunPlex(t, dockertest.Images[0], "plex", discovertest.PrefsXML, 0, true)
	started := e.StartedAt(t, "plex")
	plan := writePlan(t, `version: 1
backups: {dir: `+filepath.Join(t.TempDir(), "backups")+`}
resources:
  - {name: prefs, kind: xml_attributes, path: '`+p.Prefs+`', absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, manager: docker, container: plexx}
`)
	for _, cmd := range [][]string{{"plan", "-f", plan}, {"apply", "-auto-approve", "-f", plan}} {
		out, errOut, code := plexform(t, e, nil, cmd...)
		if code != 1 {
			t.Fatalf("%s exited %d, want 1:\n%s%s", cmd[0], code, out, errOut)
		}
		mustContain(t, cmd[0], errOut, `no such container "plexx"`, "docker ps -a")
	}
	if e.StartedAt(t, "plex") != started || !strings.Contains(read(t, p.Prefs), "PlexOnlineToken") {
		t.Errorf("something was changed")
	}
}

// plex_claim's local method claims the server in the container after the reset.
func TestLocalClaim(t *testing.T) {
	e := dockertest.Need(t)
	p := e.RunPlex(t, dockertest.Images[1], "plex", discovertest.PrefsXML, 0, true)
	plan := writePlan(t, `version: 1
backups: {dir: `+filepath.Join(t.TempDir(), "backups")+`}
resources:
  - name: prefs
    kind: plex_preferences
    absent: [PlexOnlineToken, PlexOnlineMail, PlexOnlineUsername, PlexOnlineHome]
    service: plex
  - {name: plex, kind: plex_service, timeout: 30s}
  - {name: claim, kind: plex_claim, service: plex, token: {env: PLEX_CLAIM}, url: '`+p.URL()+`', method: local, timeout: 30s}
`)
	token := []string{"PLEX_CLAIM=claim-AbCdEfGhIjKlMnOpQrSt"}
	out, errOut, code := plexform(t, e, token, "apply", "-auto-approve", "-f", plan)
	if code != 0 {
		t.Fatalf("apply exited %d:\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "claim-AbCdEf") {
		t.Errorf("the claim token was printed")
	}
	resp, err := httpGet(p.URL() + "/identity")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "/identity", resp, `claimed="1"`)
	// The same token again: nothing to do, nothing restarted.
	before := e.StartedAt(t, "plex")
	out, errOut, code = plexform(t, e, token, "apply", "-auto-approve", "-f", plan)
	if code != 0 {
		t.Fatalf("second apply exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "second apply", out, "No changes.")
	if e.StartedAt(t, "plex") != before {
		t.Errorf("the second apply restarted the container")
	}
}

// A plan that edits a running container's settings with no service to stop it is
// refused by plan and by apply, which name the container to add; once the container is
// stopped the same plan is planned as usual. The engine's mount sources are what match.
func TestRunningContainerRefused(t *testing.T) {
	e := dockertest.Need(t)
	p := e.RunPlex(t, dockertest.Images[1], "plex-unguarded", discovertest.PrefsXML, 0, true)
	started := e.StartedAt(t, "plex-unguarded")
	plan := writePlan(t, `version: 1
backups: {dir: `+filepath.Join(t.TempDir(), "backups")+`}
resources:
  - {name: prefs, kind: xml_attributes, path: '`+p.Prefs+`', absent: [PlexOnlineToken]}
`)
	out, errOut, code := plexform(t, e, nil, "plan", "-detailed-exitcode", "-f", plan)
	if code != 1 {
		t.Fatalf("plan exited %d, want 1:\n%s%s", code, out, errOut)
	}
	mustContain(t, "plan", out, "Error: prefs: a running Plex Media Server uses", "the Docker container plex-unguarded (image "+dockertest.Images[1].Tag,
		"mounts "+p.ConfigDir+" at /config", "manager: docker", "container: plex-unguarded")
	out, errOut, code = plexform(t, e, nil, "apply", "-auto-approve", "-f", plan)
	if code != 1 {
		t.Fatalf("apply exited %d, want 1:\n%s%s", code, out, errOut)
	}
	mustContain(t, "apply", errOut, "container: plex-unguarded", "Nothing was changed.")
	if e.StartedAt(t, "plex-unguarded") != started || !strings.Contains(read(t, p.Prefs), "PlexOnlineToken") {
		t.Errorf("something was changed")
	}

	e.Docker(t, "stop", "plex-unguarded")
	out, errOut, code = plexform(t, e, nil, "plan", "-f", plan)
	if code != 0 || strings.Contains(out, "Error:") {
		t.Fatalf("plan with the container stopped exited %d:\n%s%s", code, out, errOut)
	}
}
