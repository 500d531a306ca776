//go:build linux

package systemdtest_test

import (
	"strings"
	"testing"
)

// TestScheduleUnderSystemd installs a schedule with plexform itself under systemd as PID
// 1, as an owner without CI does on a Debian box: a reset plan is refused without -force;
// with it, plexform-NAME.timer is enabled and active, schedule status names it,
// starting its service applies the plan, the journal holds the run's output without a
// token, e-mail or user name, and remove leaves no plexform unit anywhere.
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

	out, errOut, code = m.plexform("schedule", "remove", "reset")
	if code != 0 {
		t.Fatalf("schedule remove exited %d:\n%s%s", code, out, errOut)
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
}
