package schedule

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
)

// Systemd schedules with a service and a timer unit, plexform-NAME.service and
// plexform-NAME.timer: system units in /etc/systemd/system as root, user units in
// ~/.config/systemd/user otherwise (systemd.unit(5), "Unit File Load Path"). The
// service's stdout and stderr go to the journal (systemd.exec(5), StandardOutput=
// defaults to journal), so `journalctl -u plexform-NAME` is the run's log.
type Systemd struct{}

func (Systemd) Name() string { return "systemd" }

// SystemUnitDir and UserUnitDir are where systemd loads administrator units from.
const (
	SystemUnitDir = "/etc/systemd/system"
	UserUnitDir   = ".config/systemd/user" // under the home directory
)

func (Systemd) dir(h *Host) string {
	if h.System {
		return SystemUnitDir
	}
	return path.Join(h.Home, UserUnitDir)
}

// systemctl runs systemctl for the system or the user's manager.
func (Systemd) systemctl(h *Host, args ...string) ([]byte, error) {
	if !h.System {
		args = append([]string{"--user"}, args...)
	}
	return h.run("systemctl", args...)
}

// ServiceUnit is the oneshot service that runs the apply. TimeoutStartSec leaves a link
// code its 15 minutes; NO_COLOR keeps escape codes out of the journal.
func ServiceUnit(j Job) string {
	cal, _ := CalendarOf(j.Every)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", Marker(j))
	b.WriteString("# Written by `plexform schedule install`; `plexform schedule remove " + j.Name + "` deletes it.\n")
	fmt.Fprintf(&b, "[Unit]\nDescription=plexform: apply %s %s (schedule %s)\n", unitEscape(j.Plan), cal, j.Name)
	b.WriteString("After=network-online.target\nWants=network-online.target\n\n")
	b.WriteString("[Service]\nType=oneshot\n")
	quoted := make([]string, 0, len(j.Command()))
	for _, a := range j.Command() {
		quoted = append(quoted, execQuote(a))
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(quoted, " "))
	b.WriteString("Environment=NO_COLOR=1\n")
	b.WriteString("# A link code waits up to 15 minutes for someone to enter it.\nTimeoutStartSec=30min\n")
	return b.String()
}

// TimerUnit starts the service at the calendar times of -every, spread by a random
// delay; Persistent=true runs a run missed while the machine was off at the next boot
// (systemd.timer(5)).
func TimerUnit(j Job) string {
	cal, _ := CalendarOf(j.Every)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", Marker(j))
	b.WriteString("# Written by `plexform schedule install`; `plexform schedule remove " + j.Name + "` deletes it.\n")
	fmt.Fprintf(&b, "[Unit]\nDescription=plexform: apply %s %s (schedule %s)\n\n", unitEscape(j.Plan), cal, j.Name)
	fmt.Fprintf(&b, "[Timer]\nOnCalendar=%s\nRandomizedDelaySec=%d\nPersistent=true\n\n", cal.OnCalendar(), int(RandomDelay(j.Every)/time.Second))
	b.WriteString("[Install]\nWantedBy=timers.target\n")
	return b.String()
}

// OnCalendar spells the calendar as systemd.time(7) does: "*-*-* *:00/15:00" every 15
// minutes, "*-*-* 00/6:00:00" every 6 hours, "*-*-* 00:00:00" daily.
func (c Calendar) OnCalendar() string {
	switch {
	case c.Minutes > 0:
		return fmt.Sprintf("*-*-* *:00/%d:00", c.Minutes)
	case c.Hours >= 24:
		return "*-*-* 00:00:00"
	}
	return fmt.Sprintf("*-*-* 00/%d:00:00", c.Hours)
}

func (c Calendar) String() string {
	switch {
	case c.Minutes == 1:
		return "every minute"
	case c.Minutes > 0:
		return fmt.Sprintf("every %d minutes", c.Minutes)
	case c.Hours == 1:
		return "hourly"
	case c.Hours >= 24:
		return "daily"
	}
	return fmt.Sprintf("every %d hours", c.Hours)
}

// execQuote quotes one ExecStart= argument (systemd.service(5), "Command lines"): double
// quotes with C-style escapes, and % and $ doubled so systemd expands neither.
func execQuote(s string) string {
	s = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
	return `"` + unitEscape(s) + `"`
}

// unitEscape doubles the specifier and variable signs of a unit's value.
func unitEscape(s string) string {
	return strings.NewReplacer("%", "%%", "$", "$$", "\n", " ").Replace(s)
}

func unitNames(name string) (service, timer string) {
	return UnitBase + name + ".service", UnitBase + name + ".timer"
}

func (s Systemd) Install(h *Host, j Job) ([]string, error) {
	if _, err := CalendarOf(j.Every); err != nil {
		return nil, err
	}
	service, timer := unitNames(j.Name)
	dir := s.dir(h)
	replacing := false
	for _, f := range []string{service, timer} {
		if _, err := os.Lstat(h.Root.Path(path.Join(dir, f))); err == nil {
			replacing = true
			if e, ok := readOwn(h, path.Join(dir, f)); !ok || e.Name != j.Name {
				return nil, fmt.Errorf("%s exists and plexform did not write it; remove or rename it, or choose another -name", path.Join(dir, f))
			}
		}
	}
	if err := s.checkBus(h); err != nil {
		return nil, err
	}
	files := []string{path.Join(dir, service), path.Join(dir, timer)}
	if err := writeFile(h, files[0], []byte(ServiceUnit(j)), 0o644); err != nil {
		return nil, err
	}
	if err := writeFile(h, files[1], []byte(TimerUnit(j)), 0o644); err != nil {
		return files[:1], err
	}
	if _, err := s.systemctl(h, "daemon-reload"); err != nil {
		return files, err
	}
	if _, err := s.systemctl(h, "enable", "--now", timer); err != nil {
		return files, err
	}
	// enable --now leaves a timer that already runs on its old calendar.
	if replacing {
		if _, err := s.systemctl(h, "restart", timer); err != nil {
			return files, err
		}
	}
	return files, nil
}

// checkBus asks the user's manager for its version before anything is written: a user
// unit is only loaded by a running user manager, which a shell without a login session
// (su, sudo -u, ssh without pam_systemd, a container's exec) cannot reach ("Failed to
// connect to bus"). The system manager is always there when systemd is PID 1.
func (s Systemd) checkBus(h *Host) error {
	if h.System {
		return nil
	}
	if _, err := s.systemctl(h, "show", "-p", "Version"); err != nil {
		return fmt.Errorf("cannot reach your systemd user manager, so a user timer cannot be enabled; nothing was written. "+
			"Run schedule install from a login session of this user (a desktop or ssh login, not su or sudo -u), "+
			"and run `loginctl enable-linger %s` once so the timer runs while you are logged out; or install as root for a system timer: %w", userName(), err)
	}
	return nil
}

// userName names the running user for advice; "USER" when it is not known.
func userName() string {
	if u, ok := os.LookupEnv("USER"); ok && u != "" {
		return u
	}
	return "USER"
}

func (s Systemd) List(h *Host) ([]Entry, error) {
	dir := s.dir(h)
	var out []Entry
	for _, f := range listDir(h, dir) {
		if !strings.HasPrefix(f, UnitBase) || !strings.HasSuffix(f, ".timer") {
			continue
		}
		e, ok := readOwn(h, path.Join(dir, f))
		if !ok || f != UnitBase+e.Name+".timer" {
			continue
		}
		service, timer := unitNames(e.Name)
		e.Scheduler = s.Name()
		e.Files = []string{path.Join(dir, service), path.Join(dir, timer)}
		props, err := s.systemctl(h, "show", timer, "-p", "ActiveState", "-p", "NextElapseUSecRealtime", "-p", "LastTriggerUSec")
		if err != nil {
			// The files are there but the manager cannot say whether the timer runs.
			e.State = "unknown (" + oneLine(err.Error()) + ")"
		} else {
			for _, line := range strings.Split(string(props), "\n") {
				k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
				if v == "n/a" {
					v = ""
				}
				switch k {
				case "ActiveState":
					e.State = v
				case "NextElapseUSecRealtime":
					e.Next = v
				case "LastTriggerUSec":
					e.Last = v
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func (s Systemd) Remove(h *Host, name string) ([]string, error) {
	dir := s.dir(h)
	service, timer := unitNames(name)
	var own []string
	for _, f := range []string{timer, service} {
		if e, ok := readOwn(h, path.Join(dir, f)); ok && e.Name == name {
			own = append(own, path.Join(dir, f))
		}
	}
	if len(own) == 0 {
		return nil, ErrNotFound
	}
	// disable --now stops the timer and drops its timers.target.wants link; a service
	// that is running its apply is left to finish (stopping it would cut an apply short).
	// reset-failed drops a failed run's record: systemd keeps a failed unit in memory
	// after its file is gone, listed by `systemctl --failed` as not-found, and the
	// system stays "degraded" (systemctl(1), reset-failed). When the manager cannot be reached (a user manager
	// with no login session) the files are deleted anyway and the error says what
	// systemd may still hold.
	var errs error
	if _, err := s.systemctl(h, "disable", "--now", timer); err != nil {
		errs = multierror.Append(errs, err)
	} else {
		for _, unit := range []string{service, timer} {
			// A unit that is neither failed nor in use is unloaded by then ("Unit ... not
			// loaded."): nothing to reset.
			if _, err := s.systemctl(h, "reset-failed", unit); err != nil && !strings.Contains(err.Error(), "not loaded") {
				errs = multierror.Append(errs, err)
			}
		}
	}
	var removed []string
	for _, f := range own {
		if err := os.Remove(h.Root.Path(f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, multierror.Append(errs, fmt.Errorf("remove %s: %w", f, err))
		}
		removed = append(removed, f)
	}
	if errs != nil {
		reload := "systemctl daemon-reload"
		if !h.System {
			reload = "systemctl --user daemon-reload"
		}
		return removed, fmt.Errorf("the unit files are deleted, but systemd was not told: it may run %s until it reloads (%s, or the next boot or login): %w", timer, reload, errs)
	}
	_, err := s.systemctl(h, "daemon-reload")
	return removed, err
}
