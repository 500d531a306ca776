//go:build linux

package systemdtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScheduleUnderSystemd installs a schedule with plexform itself under systemd as PID
// 1, as an owner without CI does on a Debian box: a reset plan is refused without -force;
// with it, plexform-NAME.timer is enabled and active, schedule status names it,
// starting its service applies the plan, the journal holds the run's output without a
// token, e-mail or user name, and remove leaves no plexform unit anywhere: not even a
// failed run's unit, which systemd would keep as not-found failed with the system
// degraded. Then a user with no user manager to reach (userWithoutBus).
func TestScheduleUnderSystemd(t *testing.T) {
	m := boot(t)
	m.install(t)
	m.seed(t)

	out, errOut, code := m.plexform("schedule", "install", "-f", example, "-every", "1h", "-name", "reset")
	if code != 1 || !strings.Contains(errOut, "plex-reset.yaml is a reset plan") || !strings.Contains(errOut, "plex_signin") {
		t.Fatalf("install of a reset plan without -force exited %d:\n%s%s", code, out, errOut)
	}
	if left := m.output(t, "sh", "-c", "ls /etc/systemd/system | grep '^plexform' || true"); left != "" {
		t.Fatalf("the refused install left %s", left)
	}

	out, errOut, code = m.plexform("schedule", "install", "-f", example, "-every", "1h", "-name", "reset", "-force")
	if code != 0 {
		t.Fatalf("install -force exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "install", out, "Installed schedule reset (systemd)", "wrote /etc/systemd/system/plexform-reset.timer", "journalctl -u plexform-reset")
	if got := m.output(t, "systemctl", "is-enabled", "plexform-reset.timer"); got != "enabled" {
		t.Errorf("plexform-reset.timer is %s, want enabled", got)
	}
	if got := m.output(t, "systemctl", "is-active", "plexform-reset.timer"); got != "active" {
		t.Errorf("plexform-reset.timer is %s, want active", got)
	}
	timers := m.output(t, "systemctl", "list-timers", "--all", "--no-pager", "plexform*")
	mustContain(t, "systemctl list-timers", timers, "plexform-reset.timer", "plexform-reset.service")

	out, errOut, code = m.plexform("schedule", "status")
	if code != 0 {
		t.Fatalf("schedule status exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "schedule status", out, "reset", "hourly", "active", "no run yet", example)

	// A oneshot service: start returns once the apply has finished.
	before := m.unitRun(t)
	m.exec(t, "systemctl", "start", "plexform-reset.service")
	if after := m.unitRun(t); after == before {
		t.Errorf("the scheduled apply did not restart Plex through systemd (%s)", after)
	}
	m.exec(t, "systemctl", "stop", "plexmediaserver")
	got := m.read(t, prefs)
	for _, a := range signIn {
		if strings.Contains(got, a) {
			t.Errorf("%s is still in Preferences.xml after the scheduled apply", a)
		}
	}
	m.checkOwner(t, prefs)
	m.exec(t, "systemctl", "start", "plexmediaserver")

	journal := m.output(t, "journalctl", "-u", "plexform-reset.service", "--no-pager", "-o", "cat")
	mustContain(t, "the run's journal", journal, "Apply complete! 0 added, 0 changed, 4 removed.", "plexform schedule reset: exit 0: applied")
	noSecrets(t, journal)

	out, _, _ = m.plexform("schedule", "status", "-json")
	mustContain(t, "schedule status -json", out, `"name": "reset"`, `"exit_code": 0`, `"changed": true`, `"state": "active"`)
	if mode := m.output(t, "stat", "-c", "%a", "/var/lib/plexform/backups/schedule-reset.json"); mode != "600" {
		t.Errorf("the status file's mode is %s, want 600", mode)
	}

	// A failed run (its plan is gone) leaves the service failed; remove must not leave
	// it behind as "not-found failed" with the system degraded.
	m.exec(t, "mv", example, example+".off")
	if _, _, code := m.run(nil, "systemctl", "start", "plexform-reset.service"); code == 0 {
		t.Errorf("the run of a missing plan succeeded")
	}
	m.exec(t, "mv", example+".off", example)
	if got, _, _ := m.run(nil, "systemctl", "is-failed", "plexform-reset.service"); strings.TrimSpace(got) != "failed" {
		t.Errorf("after the failed run plexform-reset.service is %q, want failed", strings.TrimSpace(got))
	}

	out, errOut, code = m.plexform("schedule", "remove", "reset")
	if code != 0 {
		t.Fatalf("schedule remove exited %d:\n%s%s", code, out, errOut)
	}
	if failed := m.output(t, "systemctl", "--failed", "--no-legend", "--no-pager"); failed != "" {
		t.Errorf("after remove systemctl --failed lists:\n%s", failed)
	}
	if state, _, _ := m.run(nil, "systemctl", "is-system-running"); strings.TrimSpace(state) != "running" {
		t.Errorf("after remove the system is %q, want running", strings.TrimSpace(state))
	}
	mustContain(t, "remove", out, "Removed /etc/systemd/system/plexform-reset.timer", "Removed /etc/systemd/system/plexform-reset.service")
	if left := m.output(t, "sh", "-c", "find / -xdev -name 'plexform*' \\( -path '*/systemd/*' -o -path '*/cron*' \\) 2>/dev/null || true"); left != "" {
		t.Errorf("remove left plexform units behind:\n%s", left)
	}
	if units := m.output(t, "systemctl", "list-units", "--all", "--no-legend", "--no-pager", "plexform*"); units != "" {
		t.Errorf("systemd still knows plexform units:\n%s", units)
	}
	out, _, _ = m.plexform("schedule", "status")
	mustContain(t, "status after remove", out, "No plexform schedules on this host (systemd).")

	userWithoutBus(t, m)
}

// userWithoutBus: a user with no login session (su, sudo -u, a container's exec) has no
// user manager to reach. install refuses before writing anything and says how to get
// one; with units there (written under -root and copied), status says why their state
// is unknown, and remove deletes them anyway and says systemd was not told.
func userWithoutBus(t *testing.T, m *machine) {
	m.exec(t, "useradd", "--create-home", "--shell", "/bin/sh", "alice")
	data, err := os.ReadFile(filepath.Join(m.e.Repo, "examples", "plex-signin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const plan = "/home/alice/plex-signin.yaml"
	m.write(t, plan, string(data), "alice:alice", "644")
	// No XDG_RUNTIME_DIR and no DBUS_SESSION_BUS_ADDRESS: what such a shell has.
	alice := func(args ...string) (string, string, int) {
		return m.run(nil, append([]string{"runuser", "-u", "alice", "--", "env", "-i", "HOME=/home/alice", "USER=alice", "PATH=/usr/local/bin:/usr/bin:/bin", "NO_COLOR=1", "plexform"}, args...)...)
	}
	const unitDir = "/home/alice/.config/systemd/user"
	out, errOut, code := alice("schedule", "install", "-f", plan, "-every", "1h")
	if code != 1 {
		t.Fatalf("install as alice with no user bus exited %d:\n%s%s", code, out, errOut)
	}
	mustContain(t, "install with no user bus", errOut, "cannot reach your systemd user manager", "nothing was written", "loginctl enable-linger alice")
	if left := m.output(t, "sh", "-c", "ls "+unitDir+" 2>/dev/null || true"); left != "" {
		t.Errorf("the refused install wrote %s", left)
	}

	m.exec(t, "runuser", "-u", "alice", "--", "mkdir", "/home/alice/tree")
	if out, errOut, code := alice("schedule", "install", "-f", plan, "-every", "1h", "-scheduler", "systemd", "-root", "/home/alice/tree"); code != 0 {
		t.Fatalf("install -root as alice exited %d:\n%s%s", code, out, errOut)
	}
	m.exec(t, "runuser", "-u", "alice", "--", "sh", "-c", "mkdir -p "+unitDir+" && cp /home/alice/tree"+unitDir+"/plexform-* "+unitDir+"/")
	out, errOut, _ = alice("schedule", "status")
	mustContain(t, "status with no user bus", out+errOut, "plex-signin", "unknown (", "Failed to connect to bus")
	out, errOut, code = alice("schedule", "remove", "plex-signin")
	if code != 1 {
		t.Errorf("remove with no user bus exited %d, want 1 (systemd was not told)", code)
	}
	mustContain(t, "remove with no user bus", out+errOut, "Removed "+unitDir+"/plexform-plex-signin.timer", "Removed "+unitDir+"/plexform-plex-signin.service", "systemd was not told")
	if left := m.output(t, "sh", "-c", "ls "+unitDir); left != "" {
		t.Errorf("remove with no user bus left %s", left)
	}
}
