package schedule

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/stores/fileutil"
)

func TestCalendarOf(t *testing.T) {
	for _, tc := range []struct {
		every time.Duration
		want  Calendar
		ok    bool
	}{
		{time.Minute, Calendar{Minutes: 1}, true},
		{15 * time.Minute, Calendar{Minutes: 15}, true},
		{30 * time.Minute, Calendar{Minutes: 30}, true},
		{time.Hour, Calendar{Hours: 1}, true},
		{6 * time.Hour, Calendar{Hours: 6}, true},
		{24 * time.Hour, Calendar{Hours: 24}, true},
		{7 * time.Minute, Calendar{}, false},
		{90 * time.Minute, Calendar{}, false},
		{5 * time.Hour, Calendar{}, false},
		{48 * time.Hour, Calendar{}, false},
		{30 * time.Second, Calendar{}, false},
		{0, Calendar{}, false},
		{-time.Hour, Calendar{}, false},
	} {
		got, err := CalendarOf(tc.every)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("CalendarOf(%s) = %+v, %v; want %+v, ok %v", tc.every, got, err, tc.want, tc.ok)
		}
	}
}

func TestCalendarSpellings(t *testing.T) {
	for _, tc := range []struct {
		c              Calendar
		onCalendar, en string
	}{
		{Calendar{Minutes: 15}, "*-*-* *:00/15:00", "every 15 minutes"},
		{Calendar{Hours: 1}, "*-*-* 00/1:00:00", "hourly"},
		{Calendar{Hours: 6}, "*-*-* 00/6:00:00", "every 6 hours"},
		{Calendar{Hours: 24}, "*-*-* 00:00:00", "daily"},
	} {
		if got := tc.c.OnCalendar(); got != tc.onCalendar {
			t.Errorf("%+v.OnCalendar() = %q, want %q", tc.c, got, tc.onCalendar)
		}
		if got := tc.c.String(); got != tc.en {
			t.Errorf("%+v.String() = %q, want %q", tc.c, got, tc.en)
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"/etc/plexform/plex-signin.yaml": "plex-signin",
		`C:\plans\Keep Signed In.yml`:    "keep-signed-in",
		"/x/.yaml":                       "yaml",
		"/x/ÄÖ.yaml":                     "plan",
	} {
		if got := NameFor(in); got != want {
			t.Errorf("NameFor(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "-x", "A", "a b", "a.b", "a/b", strings.Repeat("a", 41)} {
		if CheckName(bad) == nil {
			t.Errorf("CheckName(%q) accepted it", bad)
		}
	}
}

// oddJob has a plan path with every character a format must escape.
var oddJob = Job{Name: "odd", Plan: `/srv/my "plans"/100% $HOME & <x> -- it's.yaml`, Exe: "/usr/local/bin/plexform", Every: time.Hour, User: "alice"}

// Each format carries the marker that list and remove recognise, and gives back the plan
// path exactly, whatever it holds.
func TestEveryFormatCarriesItsMarker(t *testing.T) {
	cron, err := CronEntry(oddJob, true, 7)
	if err != nil {
		t.Fatal(err)
	}
	for format, text := range map[string]string{
		"service": ServiceUnit(oddJob),
		"timer":   TimerUnit(oddJob),
		"plist":   Plist(oddJob, "/var/log/x.log", 0),
		"task":    fromUTF16(UTF16(TaskXML(oddJob, time.Now()))),
		"cron":    cron,
	} {
		e, ok := findMarker(text)
		if !ok || e.Name != oddJob.Name || e.Plan != oddJob.Plan || e.Every != oddJob.Every {
			t.Errorf("%s: marker read back as %+v (ok %v), want the job's name, plan and interval:\n%s", format, e, ok, text)
		}
	}
	if _, ok := findMarker("[Unit]\nDescription=someone else's\n"); ok {
		t.Error("a file without the marker was taken for plexform's")
	}
	if _, ok := findMarker(markerPrefix + `{"name":"../../etc","plan":"/x","every":"1h"}`); ok {
		t.Error("a marker with a name no schedule can have was accepted")
	}
}

// recorder stands in for the scheduler commands in a tree test; the real ones run in
// internal/systemdtest (systemd) and under Wine (schtasks).
type recorder struct{ calls []string }

func (r *recorder) run(name string, args ...string) ([]byte, error) {
	r.calls = append(r.calls, name+" "+strings.Join(args, " "))
	return nil, nil
}

func treeHost(t *testing.T, system bool) (*Host, *recorder, string) {
	dir := t.TempDir()
	rec := &recorder{}
	return &Host{Root: fileutil.RootAt(dir), System: system, Home: "/home/alice", Run: rec.run}, rec, dir
}

func TestSystemdInstallListRemove(t *testing.T) {
	h, rec, dir := treeHost(t, true)
	job := Job{Name: "signin", Plan: "/etc/plexform/plex-signin.yaml", Exe: "/usr/local/bin/plexform", Every: time.Hour}
	// Someone else's unit named like plexform's: listed never, removed never.
	foreign := filepath.Join(dir, "etc/systemd/system/plexform-other.timer")
	if err := os.MkdirAll(filepath.Dir(foreign), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(foreign, []byte("[Timer]\nOnCalendar=daily\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := Systemd{}.Install(h, job)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/etc/systemd/system/plexform-signin.service", "/etc/systemd/system/plexform-signin.timer"}
	if !slices.Equal(files, want) {
		t.Errorf("Install wrote %v, want %v", files, want)
	}
	for _, f := range want {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, mode %v; want 0644", f, err, fi)
		}
	}
	if wantCalls := []string{"systemctl daemon-reload", "systemctl enable --now plexform-signin.timer"}; !slices.Equal(rec.calls, wantCalls) {
		t.Errorf("Install ran %q, want %q", rec.calls, wantCalls)
	}
	timer, _ := os.ReadFile(filepath.Join(dir, want[1]))
	for _, line := range []string{"OnCalendar=*-*-* 00/1:00:00", "RandomizedDelaySec=300", "Persistent=true", "WantedBy=timers.target"} {
		if !strings.Contains(string(timer), "\n"+line+"\n") {
			t.Errorf("the timer lacks %q:\n%s", line, timer)
		}
	}
	list, err := Systemd{}.List(h)
	if err != nil || len(list) != 1 || list[0].Name != "signin" || list[0].Plan != job.Plan || list[0].Every != time.Hour {
		t.Fatalf("List = %+v, %v; want the one schedule signin", list, err)
	}
	// Installed again with another interval: the running timer is restarted on it.
	rec.calls = nil
	job.Every = 15 * time.Minute
	if _, err := (Systemd{}).Install(h, job); err != nil {
		t.Fatal(err)
	}
	if wantCalls := []string{"systemctl daemon-reload", "systemctl enable --now plexform-signin.timer", "systemctl restart plexform-signin.timer"}; !slices.Equal(rec.calls, wantCalls) {
		t.Errorf("a second Install ran %q, want %q", rec.calls, wantCalls)
	}
	if list, _ := (Systemd{}).List(h); len(list) != 1 || list[0].Every != 15*time.Minute {
		t.Errorf("after the second Install List = %+v", list)
	}
	if _, err := (Systemd{}).Install(h, Job{Name: "other", Plan: "/p", Exe: "/x", Every: time.Hour}); err == nil || !strings.Contains(err.Error(), "plexform did not write it") {
		t.Errorf("Install over someone else's plexform-other.timer: %v", err)
	}
	if _, err := (Systemd{}).Remove(h, "other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove(other) = %v, want ErrNotFound", err)
	}
	rec.calls = nil
	removed, err := Systemd{}.Remove(h, "signin")
	if err != nil || len(removed) != 2 {
		t.Fatalf("Remove = %v, %v", removed, err)
	}
	if wantCalls := []string{"systemctl disable --now plexform-signin.timer", "systemctl reset-failed plexform-signin.service", "systemctl reset-failed plexform-signin.timer", "systemctl daemon-reload"}; !slices.Equal(rec.calls, wantCalls) {
		t.Errorf("Remove ran %q, want %q", rec.calls, wantCalls)
	}
	for _, f := range want {
		if _, err := os.Lstat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there after Remove", f)
		}
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("Remove touched someone else's unit: %v", err)
	}
}

// User units go to ~/.config/systemd/user and are driven with systemctl --user.
func TestSystemdUserUnits(t *testing.T) {
	h, rec, dir := treeHost(t, false)
	if _, err := (Systemd{}).Install(h, Job{Name: "s", Plan: "/p.yaml", Exe: "/x", Every: 15 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "home/alice/.config/systemd/user/plexform-s.timer")); err != nil {
		t.Error(err)
	}
	if len(rec.calls) == 0 || !strings.HasPrefix(rec.calls[0], "systemctl --user ") {
		t.Errorf("calls %q, want systemctl --user", rec.calls)
	}
}

// With no user manager to reach (su, sudo -u, no login session) install writes nothing
// and says how to get one; remove deletes the files anyway and says systemd was not
// told; list says the state is unknown instead of leaving it blank. The real
// "Failed to connect to bus" is TestScheduleUnderSystemd's (internal/systemdtest).
func TestSystemdUserManagerUnreachable(t *testing.T) {
	h, rec, _ := treeHost(t, false)
	noBus := func(name string, args ...string) ([]byte, error) {
		rec.calls = append(rec.calls, name+" "+strings.Join(args, " "))
		return nil, errors.New("systemctl: exit status 1: Failed to connect to bus: No medium found")
	}
	h.Run = noBus
	job := Job{Name: "s", Plan: "/p.yaml", Exe: "/x", Every: time.Hour}
	files, err := Systemd{}.Install(h, job)
	if err == nil || len(files) != 0 || !strings.Contains(err.Error(), "loginctl enable-linger") || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("Install with no user bus = %v, %v; want a refusal naming loginctl enable-linger", files, err)
	}
	if names := listDir(h, "/home/alice/.config/systemd/user"); len(names) != 0 {
		t.Errorf("the refused install wrote %v", names)
	}
	// Installed while the bus was there; then it is gone.
	h.Run = rec.run
	if _, err := (Systemd{}).Install(h, job); err != nil {
		t.Fatal(err)
	}
	h.Run = noBus
	list, err := Systemd{}.List(h)
	if err != nil || len(list) != 1 || !strings.HasPrefix(list[0].State, "unknown (") || !strings.Contains(list[0].State, "Failed to connect to bus") {
		t.Errorf("List with no user bus = %+v, %v; want state unknown with the cause", list, err)
	}
	removed, err := Systemd{}.Remove(h, "s")
	if len(removed) != 2 || err == nil || !strings.Contains(err.Error(), "systemd was not told") {
		t.Errorf("Remove with no user bus = %v, %v; want both files removed and the error", removed, err)
	}
	if names := listDir(h, "/home/alice/.config/systemd/user"); len(names) != 0 {
		t.Errorf("Remove left %v", names)
	}
}

// systemd itself reads the units: systemd-analyze verify checks every directive and
// that ExecStart's program exists.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze", "systemd")
	dir := t.TempDir()
	job := oddJob
	job.Exe = "/bin/true"
	job.Name = "verify"
	for name, text := range map[string]string{"plexform-verify.service": ServiceUnit(job), "plexform-verify.timer": TimerUnit(job)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runTool(analyze, "verify", filepath.Join(dir, "plexform-verify.service"), filepath.Join(dir, "plexform-verify.timer"))
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Every interval -every takes elapses as often as it says, by systemd's own reading of
	// OnCalendar=.
	for _, every := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		cal, _ := CalendarOf(every)
		out, err := runTool(analyze, "calendar", "--iterations=3", cal.OnCalendar())
		if err != nil {
			t.Fatalf("systemd-analyze calendar %q: %v\n%s", cal.OnCalendar(), err, out)
		}
		var elapses []time.Time
		for _, line := range strings.Split(out, "\n") {
			_, at, ok := strings.Cut(line, ": ")
			if !strings.Contains(line, "elapse:") && !strings.Contains(line, "Iter. #") || !ok {
				continue
			}
			// "Mon 2026-12-07 19:00:00 UTC": the date and time after the weekday.
			f := strings.Fields(at)
			if len(f) < 3 {
				continue
			}
			if ts, err := time.Parse("2006-01-02 15:04:05", f[1]+" "+f[2]); err == nil {
				elapses = append(elapses, ts)
			}
		}
		if len(elapses) != 3 || elapses[1].Sub(elapses[0]) != every || elapses[2].Sub(elapses[1]) != every {
			t.Errorf("OnCalendar=%s for -every %s elapses at %v:\n%s", cal.OnCalendar(), every, elapses, out)
		}
	}
}
