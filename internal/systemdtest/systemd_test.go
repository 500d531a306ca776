//go:build linux

package systemdtest_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/dockertest"
	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

func TestMain(m *testing.M) { os.Exit(dockertest.MainEngine(m)) }

// The install inside the container, laid out as Plex's Debian package lays it out, with
// the settings moved by a drop-in (a path with a space, as "Application Support" has).
const (
	unitFile = "/lib/systemd/system/plexmediaserver.service"
	dropIn   = "/etc/systemd/system/plexmediaserver.service.d/override.conf"
	envFile  = "/etc/default/plexmediaserver"
	pmsBin   = "/usr/lib/plexmediaserver/Plex Media Server"
	dataDir  = "/srv/plex data"
	prefs    = dataDir + "/Plex Media Server/Preferences.xml"
	// The settings file mode: not the default 0644, so a write that loses it shows.
	prefsMode = "640"
	// The unit's own data dir holds an older copy that the drop-in hides: never touched.
	hiddenPrefs = discovertest.DebianPrefs
	example     = "/root/plex-reset.yaml"
)

// unit is Plex's Debian unit (discovertest.DebianUnit) with the EnvironmentFile= that
// older packages' units had and many hosts still carry; the simulator takes its flags
// from there, so a test can make the server refuse to start without touching the unit.
var unit = strings.Replace(discovertest.DebianUnit, "ExecStartPre=", "EnvironmentFile=-"+envFile+"\nExecStartPre=", 1)

// pmsScript stands in for the PMS binary: plexform's simulator, reading its settings
// where PMS would (under PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR) and writing them back
// there on SIGTERM, as PMS does when systemd stops it.
const pmsScript = `#!/bin/sh
exec /usr/local/bin/plexform __plexsim -prefs "$PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR/Plex Media Server/Preferences.xml" $PLEXSIM_FLAGS
`

var signIn = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

// machine is a container whose PID 1 is systemd.
type machine struct {
	e    *dockertest.Env
	name string
}

// TestSystemd boots one container (a boot takes seconds, the rootfs minutes when not
// cached) and runs plexform in it as root, the way a user runs it on a Debian box. Each
// subtest first puts a signed-in Preferences.xml in place and restarts the unit, so
// none depends on another's outcome.
func TestSystemd(t *testing.T) {
	m := boot(t)
	m.install(t)

	t.Run("discovery from the unit and its drop-in", func(t *testing.T) {
		m.seed(t)
		out, errOut, code := m.plexform("plan", "-f", example)
		if code != 0 {
			t.Fatalf("plan of examples/plex-reset.yaml exited %d:\n%s%s", code, out, errOut)
		}
		mustContain(t, "plan", out,
			"found: PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR in the systemd unit's drop-in "+dropIn,
			"~ "+prefs,
			"# plex (systemd unit plexmediaserver) will be stopped while prefs changes, then started again",
			"Plan: 0 to add, 0 to change, 4 to remove.")
		if strings.Contains(out, hiddenPrefs) {
			t.Errorf("the plan names the unit's own data dir, which the drop-in overrides:\n%s", out)
		}
	})

	t.Run("reset while running", func(t *testing.T) {
		m.seed(t)
		before := m.unitRun(t)
		out, errOut, code := m.plexform("apply", "-auto-approve", "-f", example)
		if code != 0 {
			t.Fatalf("apply exited %d:\n%s%s", code, out, errOut)
		}
		mustContain(t, "apply", out, "Stopping plex (systemd unit plexmediaserver)", "Wrote "+prefs,
			"http://127.0.0.1:32400/identity answered 200", "Apply complete! 0 added, 0 changed, 4 removed.")
		noSecrets(t, out+errOut)
		if after := m.unitRun(t); after == before {
			t.Errorf("the unit was not restarted through systemd (%s)", after)
		}
		// The simulator saves what it read at its start when systemd stops it: had the
		// write come before the stop, the sign-in would be back now.
		m.exec(t, "systemctl", "stop", "plexmediaserver")
		got := m.read(t, prefs)
		for _, a := range signIn {
			if strings.Contains(got, a) {
				t.Errorf("%s is back in Preferences.xml after systemd stopped the server:\n%s", a, got)
			}
		}
		mustContain(t, "Preferences.xml", got, `FriendlyName="den"`, `MachineIdentifier="0f3e2d1c-aaaa-bbbb-cccc-123456789abc"`)
		m.checkOwner(t, prefs)
		if m.read(t, hiddenPrefs) != discovertest.PrefsXML {
			t.Errorf("the copy in the unit's own data dir changed")
		}
	})

	t.Run("second apply restarts nothing", func(t *testing.T) {
		m.seed(t)
		if out, errOut, code := m.plexform("apply", "-auto-approve", "-f", example); code != 0 {
			t.Fatalf("first apply exited %d:\n%s%s", code, out, errOut)
		}
		before, file := m.unitRun(t), m.read(t, prefs)
		out, errOut, code := m.plexform("apply", "-auto-approve", "-f", example)
		if code != 0 {
			t.Fatalf("second apply exited %d:\n%s%s", code, out, errOut)
		}
		mustContain(t, "second apply", out, "No changes.")
		if strings.Contains(out, "Stopping") || strings.Contains(out, "Starting") {
			t.Errorf("the second apply moved the service:\n%s", out)
		}
		if after := m.unitRun(t); after != before {
			t.Errorf("the unit was restarted by the second apply:\n  before %s\n  after  %s", before, after)
		}
		if m.read(t, prefs) != file {
			t.Errorf("Preferences.xml changed on the second apply")
		}
		m.checkOwner(t, prefs)
	})

	// plexform reset finds the unit and its drop-in, stops and starts the server through
	// systemd, and removes the four values byte for byte with the owner and mode kept; a
	// second reset finds nothing to do and restarts nothing.
	t.Run("reset in one command", func(t *testing.T) {
		m.seed(t)
		before := m.unitRun(t)
		out, errOut, code := m.plexform("reset", "-auto-approve")
		if code != 0 {
			t.Fatalf("reset exited %d:\n%s%s", code, out, errOut)
		}
		mustContain(t, "reset", out, "Found how it runs: systemd", "Stopping plex (systemd unit plexmediaserver)", "Wrote "+prefs,
			"Reset complete: removed PlexOnlineToken, PlexOnlineMail, PlexOnlineUsername, PlexOnlineHome from "+prefs+", with Plex stopped (systemd)",
			"to undo the reset, run `plexform restore -target '"+prefs+"' ", "ssh -L 32400:localhost:32400 ")
		noSecrets(t, out+errOut)
		if after := m.unitRun(t); after == before {
			t.Errorf("the unit was not restarted through systemd (%s)", after)
		}
		m.exec(t, "systemctl", "stop", "plexmediaserver")
		want := discovertest.PrefsXML
		for _, a := range signIn {
			want = regexp.MustCompile(` `+a+`="[^"]*"`).ReplaceAllString(want, "")
		}
		if got := m.read(t, prefs); got != want {
			t.Errorf("Preferences.xml after reset:\n%s\nwant byte for byte:\n%s", got, want)
		}
		m.checkOwner(t, prefs)
		m.exec(t, "systemctl", "start", "plexmediaserver")
		m.waitServer(t)

		before, file := m.unitRun(t), m.read(t, prefs)
		out, errOut, code = m.plexform("reset", "-auto-approve")
		if code != 0 {
			t.Fatalf("second reset exited %d:\n%s%s", code, out, errOut)
		}
		mustContain(t, "second reset", out, "Nothing to reset: "+prefs+" holds none of the sign-in values")
		if strings.Contains(out, "Stopping") || strings.Contains(out, "Starting") {
			t.Errorf("the second reset moved the service:\n%s", out)
		}
		if after := m.unitRun(t); after != before {
			t.Errorf("the unit was restarted by the second reset:\n  before %s\n  after  %s", before, after)
		}
		if m.read(t, prefs) != file {
			t.Errorf("Preferences.xml changed on the second reset")
		}
		m.checkOwner(t, prefs)
	})

	// Discovery reads unit files; systemd has its own rules for which line wins. Here
	// systemd itself says where the server's data is (the environment of the running
	// process), and plan must name the same file.
	t.Run("discovery agrees with systemd", func(t *testing.T) {
		const envDir = "/srv/plex-env"
		m.exec(t, "install", "-d", "-o", "plex", "-g", "plex", envDir, envDir+"/Plex Media Server")
		m.write(t, envDir+"/Plex Media Server/Preferences.xml", discovertest.PrefsXML, "plex:plex", prefsMode)
		const resetFiles = "/etc/systemd/system/plexmediaserver.service.d/zz-reset.conf"
		t.Cleanup(func() {
			_ = m.e.Command("exec", m.name, "rm", "-f", envFile, resetFiles).Run()
			_ = m.e.Command("exec", m.name, "systemctl", "daemon-reload").Run()
			_ = m.e.Command("exec", m.name, "systemctl", "restart", "plexmediaserver").Run()
		})
		for _, tc := range []struct {
			name, envFile, dropIn, want string
		}{
			{"the drop-in moves the data dir", "", "", dataDir},
			// Old /etc/default/plexmediaserver files and Arch's /etc/conf.d set it too:
			// systemd gives EnvironmentFile= precedence over any Environment=.
			{"the EnvironmentFile beats the drop-in", "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=" + envDir + "\n", "", envDir},
			{"a drop-in's empty EnvironmentFile= drops it", "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=" + envDir + "\n", "[Service]\nEnvironmentFile=\n", dataDir},
		} {
			t.Run(tc.name, func(t *testing.T) {
				m.exec(t, "rm", "-f", envFile, resetFiles)
				if tc.envFile != "" {
					m.write(t, envFile, tc.envFile, "root:root", "644")
				}
				if tc.dropIn != "" {
					m.write(t, resetFiles, tc.dropIn, "root:root", "644")
				}
				m.exec(t, "systemctl", "daemon-reload")
				m.seed(t)
				got := m.serverEnv(t, "PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR")
				if got != tc.want {
					t.Errorf("systemd gave the server PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=%s, want %s", got, tc.want)
				}
				out, errOut, code := m.plexform("plan", "-f", example)
				if code != 0 {
					t.Fatalf("plan exited %d:\n%s%s", code, out, errOut)
				}
				mustContain(t, "plan", out, "~ "+got+"/Plex Media Server/Preferences.xml\n")
			})
		}
	})

	// The server refuses to start on the settings the plan writes: plexform puts the
	// file back byte for byte and systemd runs the server again. By then the unit has
	// used up Plex's StartLimitBurst=3 (the seed's start, the apply's, and systemd's own
	// restarts of the refused one under Restart=on-failure, RestartSec=5), so the
	// rollback's start only succeeds because Start resets the counter first.
	t.Run("refused start rolls back", func(t *testing.T) {
		m.write(t, envFile, "# read by the unit's EnvironmentFile=\nPLEXSIM_FLAGS=-refuse-if-attr Broken\n", "root:root", "644")
		t.Cleanup(func() {
			_ = m.e.Command("exec", m.name, "rm", "-f", envFile).Run()
			_ = m.e.Command("exec", m.name, "systemctl", "restart", "plexmediaserver").Run()
		})
		m.seed(t)
		m.write(t, "/root/refuse.yaml", `version: 1
backups: {dir: /root/backups}
resources:
  - name: prefs
    kind: plex_preferences
    absent: [PlexOnlineToken, PlexOnlineMail, PlexOnlineUsername, PlexOnlineHome]
    set: {Broken: '1'}
    service: plex
  - {name: plex, kind: plex_service, timeout: 20s}
verify:
  - http: {url: 'http://127.0.0.1:32400/identity', status: 200, timeout: 12s}
`, "root:root", "600")
		before := m.read(t, prefs)
		out, errOut, code := m.plexform("apply", "-auto-approve", "-f", "/root/refuse.yaml")
		if code != 1 {
			t.Fatalf("apply exited %d, want 1 (rolled back):\n%s%s\njournal:\n%s", code, out, errOut, m.journal(t))
		}
		mustContain(t, "apply", out+errOut, "Rolling back", "Restored "+prefs, "The apply was rolled back: the host is as it was before.")
		noSecrets(t, out+errOut)
		if got := m.read(t, prefs); got != before {
			t.Errorf("Preferences.xml after the rollback:\n%s\nwant byte for byte:\n%s", got, before)
		}
		m.checkOwner(t, prefs)
		if state := m.activeState(); state != "active" {
			t.Errorf("the unit is %s after the rollback, want active; journal:\n%s", state, m.journal(t))
		}
		m.waitServer(t)
		mustContain(t, "the journal", m.journal(t), "plexsim: refusing to start")
	})

	// An apply killed while systemctl waits for a slow stop leaves the stop job running:
	// it belongs to systemd, not to the killed systemctl. recover must wait until the unit
	// has no job pending before it reads the state and starts the server, or the stop
	// would end after it.
	t.Run("recover waits for the stop job a killed apply left", func(t *testing.T) {
		const slowStop = "/etc/systemd/system/plexmediaserver.service.d/slow-stop.conf"
		m.write(t, slowStop, "[Service]\nExecStop=/bin/sleep 3\n", "root:root", "644")
		m.exec(t, "systemctl", "daemon-reload")
		t.Cleanup(func() {
			_ = m.e.Command("exec", m.name, "rm", "-f", slowStop).Run()
			_ = m.e.Command("exec", m.name, "systemctl", "daemon-reload").Run()
			_ = m.e.Command("exec", m.name, "systemctl", "restart", "plexmediaserver").Run()
		})
		m.seed(t)
		before := m.read(t, prefs)
		// SIGKILL one second into a stop that takes three.
		m.run(nil, "sh", "-c", `NO_COLOR=1 plexform apply -auto-approve -f "$1" >/dev/null 2>&1 & pid=$!; sleep 1; kill -9 $pid; wait $pid`, "sh", example)
		if job := m.output(t, "systemctl", "show", "-p", "Job", "plexmediaserver"); job == "Job=" || !strings.HasPrefix(job, "Job=") {
			t.Fatalf("no job pending after the kill (%q): the test did not kill the apply during the stop", job)
		}
		out, errOut, code := m.plexform("recover", "-auto-approve", "-f", example)
		if code != 0 {
			t.Fatalf("recover exited %d:\n%s%s", code, out, errOut)
		}
		noSecrets(t, out+errOut)
		if job := m.output(t, "systemctl", "show", "-p", "Job", "plexmediaserver"); job != "Job=" && job != "" {
			t.Errorf("recover ended with a job still pending: %s", job)
		}
		if state := m.activeState(); state != "active" {
			t.Errorf("the unit is %s after recover, want active; journal:\n%s", state, m.journal(t))
		}
		if got := m.read(t, prefs); got != before {
			t.Errorf("Preferences.xml after recover is not as before the apply")
		}
	})
}

// boot imports the rootfs and starts systemd as PID 1 in a container, without
// --privileged: that fails on a machine whose own capability bounding set lacks one
// (runc: "unable to apply caps: operation not permitted"; the sandbox this was written
// in has no CAP_SYS_RESOURCE). What systemd needs is the host's cgroup tree mounted
// writable (--cgroupns=host, -v /sys/fs/cgroup:/sys/fs/cgroup:rw): Docker mounts it
// read-only, and systemd then exits at once. That machine has cgroup v1 with the v2
// tree at /sys/fs/cgroup/unified, where systemd 252 runs in its "hybrid" mode under
// Docker's /docker/<id> cgroups (a cgroup v2 host is untried). SYS_ADMIN and an
// unconfined seccomp are the usual recipe for systemd in Docker; that machine booted it
// without them too. tmpfs on /run and /run/lock, as systemd expects. --network none
// gives it a loopback of its own, so the server's port 32400 cannot meet another
// test's.
//
// dockerArgs are added to docker run's (a volume the test shares with the machine).
func boot(t *testing.T, dockerArgs ...string) *machine {
	t.Helper()
	// systemd empties /tmp and /var/tmp at boot (tmpfiles.d(5), "D /tmp"): a volume
	// there would empty this machine's own directory.
	for i, a := range dockerArgs {
		if a != "-v" || i+1 == len(dockerArgs) {
			continue
		}
		_, rest, _ := strings.Cut(dockerArgs[i+1], ":") // SOURCE:DEST[:OPTIONS]
		dst, _, _ := strings.Cut(rest, ":")
		if dst == "/tmp" || dst == "/var/tmp" || strings.HasPrefix(dst, "/tmp/") || strings.HasPrefix(dst, "/var/tmp/") {
			t.Fatalf("boot: the volume %s lands in the machine's /tmp or /var/tmp, which its systemd empties at boot; mount it elsewhere", dockerArgs[i+1])
		}
	}
	e := dockertest.Need(t)
	if os.Geteuid() != 0 {
		testtool.Unavailable(t, "building the systemd rootfs (debootstrap) needs root")
	}
	testtool.Require(t, "debootstrap", "debootstrap")
	const image = "localhost/plexform-systemd:plexform-test"
	imp := exec.Command("bash", filepath.Join(e.Repo, "scripts", "systemd-rootfs.sh"), "import", image)
	imp.Env = append(os.Environ(), "DOCKER_HOST="+e.Host)
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("scripts/systemd-rootfs.sh import: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = e.Command("rmi", image).Run() })
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	m := &machine{e: e, name: "plexform-systemd-" + hex.EncodeToString(rnd[:])}
	args := append([]string{}, "run", "-d", "--name", m.name, "--label", dockertest.Label+"=1",
		"--network", "none", "--stop-signal", "SIGRTMIN+3",
		"--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
		"--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
		"--tmpfs", "/run", "--tmpfs", "/run/lock")
	e.Docker(t, append(append(args, dockerArgs...), image, "/lib/systemd/systemd")...)
	t.Cleanup(func() {
		// A clean shutdown (SIGRTMIN+3) lets systemd take down its own cgroups.
		_ = e.Command("stop", "-t", "30", m.name).Run()
		_ = e.Command("rm", "-f", m.name).Run()
	})
	// Until systemd has its bus up, systemctl cannot ask; then --wait waits for the boot.
	state, _, _ := m.run(nil, "timeout", "120", "sh", "-c", `until state=$(systemctl is-system-running --wait 2>/dev/null) || [ -n "$state" ]; do sleep 0.2; done; echo "$state"`)
	if state = strings.TrimSpace(state); state != "running" {
		failed, _, _ := m.run(nil, "systemctl", "--failed", "--no-pager")
		logs, _ := e.Command("logs", "--tail", "40", m.name).CombinedOutput()
		t.Fatalf("systemd did not come up in the container: is-system-running says %q\n%s\ncontainer log:\n%s", state, failed, logs)
	}
	return m
}

// install lays out Plex as its Debian package does (the plex system user whose home is
// /var/lib/plexmediaserver, the unit in /lib, the binary in /usr/lib/plexmediaserver),
// then moves the data dir with a drop-in as `systemctl edit plexmediaserver` would, and
// enables and starts the unit.
func (m *machine) install(t *testing.T) {
	t.Helper()
	m.e.Docker(t, "cp", m.e.Plexform, m.name+":/usr/local/bin/plexform")
	m.exec(t, "useradd", "--system", "--user-group", "--home-dir", "/var/lib/plexmediaserver", "--create-home", "--shell", "/usr/sbin/nologin", "plex")
	m.write(t, unitFile, unit, "root:root", "644")
	m.write(t, pmsBin, pmsScript, "root:root", "755")
	m.write(t, dropIn, "[Service]\nEnvironment=\"PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR="+dataDir+"\"\n", "root:root", "644")
	m.write(t, hiddenPrefs, discovertest.PrefsXML, "plex:plex", "644")
	m.exec(t, "install", "-d", "-o", "plex", "-g", "plex", dataDir, dataDir+"/Plex Media Server")
	exampleFile := filepath.Join(m.e.Repo, "examples", "plex-reset.yaml")
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	m.write(t, example, string(data), "root:root", "644")
	m.write(t, prefs, discovertest.PrefsXML, "plex:plex", prefsMode)
	m.exec(t, "systemctl", "daemon-reload")
	m.exec(t, "systemctl", "enable", "--now", "plexmediaserver")
	m.waitServer(t)
}

// seed stops the server, puts the signed-in settings back, and starts it again.
func (m *machine) seed(t *testing.T) {
	t.Helper()
	m.exec(t, "systemctl", "stop", "plexmediaserver")
	m.write(t, prefs, discovertest.PrefsXML, "plex:plex", prefsMode)
	m.exec(t, "systemctl", "reset-failed", "plexmediaserver")
	m.exec(t, "systemctl", "start", "plexmediaserver")
	m.waitServer(t)
}

// run runs a command in the container and returns its stdout, stderr and exit code;
// code -1 means docker itself could not run it.
func (m *machine) run(stdin []byte, args ...string) (string, string, int) {
	cmd := m.e.Command(append([]string{"exec", "-i", m.name}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	case err != nil:
		return out.String(), errOut.String() + err.Error(), -1
	}
	return out.String(), errOut.String(), 0
}

// exec runs a command in the container, failing the test when it fails.
func (m *machine) exec(t *testing.T, args ...string) {
	t.Helper()
	m.output(t, args...)
}

// output runs a command in the container and returns its trimmed stdout, failing the
// test when it fails.
func (m *machine) output(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := m.run(nil, args...)
	if code != 0 {
		t.Fatalf("in the container: %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// activeState is the unit's state word (systemctl is-active exits non-zero for all but
// the running states, and prints the word either way).
func (m *machine) activeState() string {
	out, errOut, _ := m.run(nil, "systemctl", "is-active", "plexmediaserver")
	return strings.TrimSpace(out + errOut)
}

func (m *machine) plexform(args ...string) (string, string, int) {
	return m.run(nil, append([]string{"env", "NO_COLOR=1", "plexform"}, args...)...)
}

// write puts a file in the container with its owner ("user:group") and octal mode.
func (m *machine) write(t *testing.T, path, content, owner, mode string) {
	t.Helper()
	_, errOut, code := m.run([]byte(content), "sh", "-ec", `mkdir -p "$(dirname "$1")"; cat >"$1"; chown "$2" "$1"; chmod "$3" "$1"`, "sh", path, owner, mode)
	if code != 0 {
		t.Fatalf("write %s in the container: exit %d: %s", path, code, errOut)
	}
}

func (m *machine) read(t *testing.T, path string) string {
	t.Helper()
	out, errOut, code := m.run(nil, "cat", path)
	if code != 0 {
		t.Fatalf("read %s in the container: exit %d: %s", path, code, errOut)
	}
	return out
}

// checkOwner fails the test unless the settings file is still plex's, with its mode.
func (m *machine) checkOwner(t *testing.T, path string) {
	t.Helper()
	if got, want := m.output(t, "stat", "-c", "%U:%G %a", path), "plex:plex "+prefsMode; got != want {
		t.Errorf("%s is %s, want %s", path, got, want)
	}
}

// unitRun identifies the unit's current run: systemd gives each start a new
// InvocationID and ActiveEnterTimestamp, so equal values mean it was not restarted.
func (m *machine) unitRun(t *testing.T) string {
	t.Helper()
	return strings.ReplaceAll(m.output(t, "systemctl", "show", "-p", "InvocationID", "-p", "ActiveEnterTimestamp", "-p", "ActiveState", "plexmediaserver"), "\n", " ")
}

// serverEnv is a variable in the environment systemd gave the running server.
func (m *machine) serverEnv(t *testing.T, name string) string {
	t.Helper()
	pid := m.output(t, "systemctl", "show", "-p", "MainPID", "--value", "plexmediaserver")
	environ := m.read(t, "/proc/"+pid+"/environ")
	for _, kv := range strings.Split(environ, "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	t.Fatalf("the server (pid %s) has no %s in its environment", pid, name)
	return ""
}

// waitServer waits until the server accepts connections on its port (the container
// has no HTTP client; plexform's verify asks the real question).
func (m *machine) waitServer(t *testing.T) {
	t.Helper()
	if _, _, code := m.run(nil, "bash", "-c", `for _ in $(seq 300); do (echo >/dev/tcp/127.0.0.1/32400) 2>/dev/null && exit 0; sleep 0.1; done; exit 1`); code != 0 {
		t.Fatalf("the server did not listen on 127.0.0.1:32400 within 30s; journal:\n%s", m.journal(t))
	}
}

func (m *machine) journal(t *testing.T) string {
	t.Helper()
	out, _, _ := m.run(nil, "journalctl", "-u", "plexmediaserver", "--no-pager", "-n", "40")
	return out
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// noSecrets fails the test if output shows any of the made-up sign-in values.
func noSecrets(t *testing.T, output string) {
	t.Helper()
	for _, secret := range []string{"FixtureTok3n", "fixture-mail", "fixture-user"} {
		if strings.Contains(output, secret) {
			t.Errorf("the output shows a sign-in value (%s...)", secret[:7])
		}
	}
}
