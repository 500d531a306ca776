// Package schedule installs, lists and removes a periodic `plexform apply` of a plan with
// the platform's own scheduler: a systemd service and timer on Linux, a launchd plist on
// macOS, a Task Scheduler task on Windows, and a cron line where none of these exists
// (Synology, QNAP, FreeBSD). It also holds what a scheduled run leaves behind (the status
// file, status.go), the environment file its {env:} values come from (envfile.go), and
// the check that refuses to schedule a reset plan (reset.go).
//
// Everything plexform installs carries one marker line (Marker) naming the schedule, its
// plan and its interval: list and remove recognise their own by it and touch nothing
// else.
package schedule

import (
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// Job is one schedule to install: run Exe apply -auto-approve -f Plan -schedule Name
// every Every.
type Job struct {
	Name  string
	Plan  string // absolute
	Exe   string // absolute path of plexform
	Every time.Duration
	// User is the account a Windows task runs as (the one whose hive holds Plex's
	// registry values); empty elsewhere.
	User string
	// EnvFile is the absolute path of the schedule's environment file (EnvFile), or
	// empty when its plan reads no {env:} value.
	EnvFile string
	// Reset is true for a reset plan installed with -force: each run signs the owner
	// out. The marker keeps it, so status can say so.
	Reset bool
}

// Command is the scheduled command line, the same on every platform: the run writes its
// status file by the schedule's name, and reads its environment file from the path
// install wrote it to, named here because the run's own environment may not lead to it
// (a systemd user manager or cron sets no XDG_CONFIG_HOME; see envfile.go).
func (j Job) Command() []string {
	cmd := []string{j.Exe, "apply", "-auto-approve", "-f", j.Plan, "-schedule", j.Name}
	if j.EnvFile != "" {
		cmd = append(cmd, "-schedule-env", j.EnvFile)
	}
	return cmd
}

// Entry is one installed schedule as the scheduler and its files tell it.
type Entry struct {
	Name      string        `json:"name"`
	Plan      string        `json:"plan"`
	Every     time.Duration `json:"-"`
	Scheduler string        `json:"scheduler"`
	// Files are what plexform wrote for it (units, plist, task XML copy, cron file).
	Files []string `json:"files"`
	// EnvFile is the schedule's environment file, when it has one.
	EnvFile string `json:"env_file,omitempty"`
	// Reset is true for a reset plan installed with -force.
	Reset bool `json:"reset,omitempty"`
	// Next and Last are the scheduler's own words ("Mon 2026-12-07 19:00:00 UTC"); empty
	// when it does not say or was not asked (under -root).
	Next  string `json:"next_run,omitempty"`
	Last  string `json:"last_run,omitempty"`
	State string `json:"state,omitempty"` // the scheduler's state word ("active", "Ready")
}

// Host is where a scheduler installs: this machine, or a tree under Root for tests and
// for preparing an image, where no scheduler command runs.
type Host struct {
	Root fileutil.Root
	// System is true for the machine-wide scheduler (root, or an administrator).
	System bool
	// Home is the user's home directory, for user units, agents and the crontab.
	Home string
	// Run runs a scheduler command (systemctl, launchctl, schtasks, crontab) and returns
	// its output; nil under a -root tree, where nothing is run.
	Run func(name string, args ...string) ([]byte, error)
}

// Exec is Host.Run for this machine.
func Exec(name string, args ...string) ([]byte, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// run runs a scheduler command on the host; under a -root tree it runs nothing.
func (h *Host) run(name string, args ...string) ([]byte, error) {
	if h.Run == nil {
		return nil, nil
	}
	return h.Run(name, args...)
}

// Scheduler is one platform's scheduler.
type Scheduler interface {
	Name() string
	// Install writes and enables the job, replacing an earlier schedule plexform made
	// under the same name; it returns the files it wrote.
	Install(h *Host, j Job) ([]string, error)
	// List returns every schedule plexform installed.
	List(h *Host) ([]Entry, error)
	// Remove disables and deletes what Install made for name, and returns the files
	// deleted; ErrNotFound when there is no such schedule.
	Remove(h *Host, name string) ([]string, error)
}

// ErrNotFound is Remove's error for a name with no schedule.
var ErrNotFound = fmt.Errorf("no such schedule")

// ByName returns the scheduler called name: systemd, launchd, taskscheduler or cron.
func ByName(name string) (Scheduler, bool) {
	switch name {
	case "systemd":
		return Systemd{}, true
	case "launchd":
		return Launchd{}, true
	case "taskscheduler":
		return TaskScheduler{}, true
	case "cron":
		return Cron{}, true
	}
	return nil, false
}

// Names lists the schedulers, for flag help and errors.
var Names = []string{"systemd", "launchd", "taskscheduler", "cron"}

// Detect picks this host's scheduler: launchd on macOS, Task Scheduler on Windows,
// systemd where it runs as the init system (sd_booted(3): /run/systemd/system exists),
// and cron otherwise (Synology DSM 6, QNAP, FreeBSD, a container).
func Detect(goos string, root fileutil.Root) Scheduler {
	switch goos {
	case "darwin":
		return Launchd{}
	case "windows":
		return TaskScheduler{}
	}
	if fi, err := os.Stat(root.Path("/run/systemd/system")); err == nil && fi.IsDir() {
		return Systemd{}
	}
	return Cron{}
}

// namePattern is what a schedule may be called: it ends up in unit, task, label and
// file names on every platform, so plain lower-case letters, digits, - and _.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// CheckName refuses a schedule name no scheduler takes as is.
func CheckName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("schedule name %q: use 1 to 40 lower-case letters, digits, - or _, starting with a letter or digit", name)
	}
	return nil
}

// NameFor derives a schedule's default name from its plan file: "plex-signin.yaml" is
// "plex-signin".
func NameFor(planFile string) string {
	base := planFile[strings.LastIndexAny(planFile, `/\`)+1:]
	if i := strings.LastIndex(base, "."); i > 0 {
		base = base[:i]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-_")
	if len(name) > 40 {
		name = name[:40]
	}
	if CheckName(name) != nil {
		return "plan"
	}
	return name
}

// UnitBase is the name every platform's unit, task or label starts with.
const UnitBase = "plexform-"

// markerPrefix starts the one line in each file plexform writes that says it wrote it.
const markerPrefix = "plexform-schedule "

// marker is what the marker line holds.
type marker struct {
	Name  string `json:"name"`
	Plan  string `json:"plan"`
	Every string `json:"every"`
	Env   string `json:"env,omitempty"`
	Reset bool   `json:"reset,omitempty"`
}

// Marker is the marker text for a job: "plexform-schedule {json}". Each format puts it
// in a comment (or a task's Description).
func Marker(j Job) string {
	data, _ := json.Marshal(marker{Name: j.Name, Plan: j.Plan, Every: j.Every.String(), Env: j.EnvFile, Reset: j.Reset})
	return markerPrefix + string(data)
}

// findMarker reads the marker out of a file plexform may have written: the first line
// holding markerPrefix. ok is false when there is none or it does not parse, so a file
// someone else wrote is never taken for plexform's.
func findMarker(text string) (Entry, bool) {
	i := strings.Index(text, markerPrefix)
	if i < 0 {
		return Entry{}, false
	}
	line := text[i+len(markerPrefix):]
	if j := strings.IndexAny(line, "\r\n<"); j >= 0 {
		line = line[:j]
	}
	line, _, _ = strings.Cut(line, "-->")
	var m marker
	if err := json.Unmarshal([]byte(html.UnescapeString(strings.TrimSpace(line))), &m); err != nil || CheckName(m.Name) != nil {
		return Entry{}, false
	}
	every, err := time.ParseDuration(m.Every)
	if err != nil {
		return Entry{}, false
	}
	return Entry{Name: m.Name, Plan: m.Plan, Every: every, EnvFile: m.Env, Reset: m.Reset}, true
}

// Calendar is an interval as fixed times of the day, what systemd's OnCalendar= and cron
// can say: every Minutes minutes (dividing an hour) or every Hours hours (dividing a day).
type Calendar struct {
	Minutes, Hours int
}

// CalendarOf turns -every into fixed times: a timer with Persistent=true (a run missed
// while the machine was off runs at boot) needs OnCalendar=, and cron has only
// calendar times, so an interval must divide an hour or a day.
func CalendarOf(every time.Duration) (Calendar, error) {
	bad := fmt.Errorf("-every %s: a schedule runs at fixed times of the day (systemd OnCalendar=, cron), so the interval must divide an hour (1m, 2m, 5m, 10m, 15m, 20m, 30m) or a day (1h, 2h, 3h, 4h, 6h, 8h, 12h, 24h)", every)
	switch {
	case every <= 0 || every%time.Minute != 0:
		return Calendar{}, bad
	case every < time.Hour:
		if m := int(every / time.Minute); 60%m == 0 {
			return Calendar{Minutes: m}, nil
		}
	case every <= 24*time.Hour && every%time.Hour == 0:
		if h := int(every / time.Hour); 24%h == 0 {
			return Calendar{Hours: h}, nil
		}
	}
	return Calendar{}, bad
}

// RandomDelay spreads runs of many hosts over a few minutes, so a fleet does not ask
// plex.tv at the same second: a tenth of the interval, at most five minutes.
func RandomDelay(every time.Duration) time.Duration {
	return min(every/10, 5*time.Minute).Truncate(time.Second)
}

// writeFile writes one file of a schedule atomically with its mode, making its
// directory first.
func writeFile(h *Host, path string, data []byte, mode fs.FileMode) error {
	dir := path[:strings.LastIndexAny(path, `/\`)]
	d, err := h.Root.MkdirAll(h.Root.Path(dir), 0o755)
	if err != nil {
		return fmt.Errorf("make %s: %w", dir, err)
	}
	d.Close()
	if err := h.Root.WriteAtomic(h.Root.Path(path), data, stores.FileMeta{UID: -1, GID: -1, Mode: uint32(mode)}); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// maxUnitFile bounds what list reads of a unit, plist or cron file.
const maxUnitFile = 1 << 20

// readOwn reads a file in a scheduler's directory and returns its marker entry, ok
// false when the file is not plexform's (no marker, unreadable, too large, not a
// regular file).
func readOwn(h *Host, path string) (Entry, bool) {
	data, _, err := h.Root.ReadFile(h.Root.Path(path), maxUnitFile)
	if err != nil {
		return Entry{}, false
	}
	return findMarker(string(data))
}

// listDir lists the names in a scheduler's directory; a directory that is not there
// holds no schedule.
func listDir(h *Host, dir string) []string {
	entries, err := os.ReadDir(h.Root.Path(dir))
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
