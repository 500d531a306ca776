package schedule

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/plexform/plexform/internal/shellquote"
)

// Cron schedules with a cron line where no service manager schedules: a file of its own
// in /etc/cron.d as root where that directory exists (Debian's cron, cronie, FreeBSD's
// cron: crontab(5)), otherwise the user's crontab through `crontab -l` and `crontab -`.
// The run's output goes to syslog through `logger -t plexform-NAME` (logger(1)), the
// same text as on a terminal, so the same masking.
type Cron struct{}

func (Cron) Name() string { return "cron" }

// CronDir is the system's directory of crontab files with a user field.
const CronDir = "/etc/cron.d"

// cronFile is the file of a schedule in CronDir, or "" when the user's crontab is used.
func (Cron) cronFile(h *Host, name string) string {
	if !h.System {
		return ""
	}
	if fi, err := os.Stat(h.Root.Path(CronDir)); err != nil || !fi.IsDir() {
		return ""
	}
	// cron.d ignores names with a dot (Debian's run-parts rules), so none is used.
	return path.Join(CronDir, UnitBase+name)
}

// CronEntry is the two lines of a schedule, the marker comment and the cron line;
// withUser adds cron.d's user field (root).
func CronEntry(j Job, withUser bool, minute int) (string, error) {
	cal, err := CalendarOf(j.Every)
	if err != nil {
		return "", err
	}
	var when string
	switch {
	case cal.Minutes > 0:
		when = fmt.Sprintf("%d-59/%d * * * *", minute%cal.Minutes, cal.Minutes)
	case cal.Hours >= 24:
		when = fmt.Sprintf("%d 0 * * *", minute)
	default:
		when = fmt.Sprintf("%d */%d * * *", minute, cal.Hours)
	}
	if withUser {
		when += " root"
	}
	args := make([]string, 0, len(j.Command()))
	for _, a := range j.Command() {
		args = append(args, cronQuote(a))
	}
	// The run gets its own PATH: cron's is only /usr/bin:/bin, and the service commands
	// a plan names are looked up by name (synopkg, in /usr/syno/bin).
	cmd := "PATH=" + cronQuote(CronPath) + " " + strings.Join(args, " ") + " 2>&1 | logger -t " + UnitBase + j.Name
	return "# " + Marker(j) + "\n" + when + " " + cmd + "\n", nil
}

// CronPath is the PATH a cron run gets, set on its command alone (a PATH= line in a
// user's crontab would change every other line of it too). cron runs a line with
// PATH=/usr/bin:/bin (Debian's and Vixie cron's crontab(5): "PATH is set to
// /usr/bin:/bin"; cronie's crontab(5) the same), which lacks the sbin directories
// service tools live in and Synology DSM's /usr/syno/bin and /usr/syno/sbin (synopkg,
// synosystemctl); /usr/local holds FreeBSD's and QNAP's own.
const CronPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/syno/sbin:/usr/syno/bin"

// cronQuote quotes an argument for sh, and escapes %, which cron turns into a newline
// (crontab(5)).
func cronQuote(s string) string {
	return strings.ReplaceAll(shellquote.Quote(s), "%", `\%`)
}

func (c Cron) Install(h *Host, j Job) ([]string, error) {
	// A fixed random minute in place of systemd's RandomizedDelaySec: a fleet's hosts do
	// not all ask plex.tv at minute 0.
	minute := rand.IntN(60)
	if file := c.cronFile(h, j.Name); file != "" {
		if _, err := os.Lstat(h.Root.Path(file)); err == nil {
			if e, ok := readOwn(h, file); !ok || e.Name != j.Name {
				return nil, fmt.Errorf("%s exists and plexform did not write it; remove or rename it, or choose another -name", file)
			}
		}
		entry, err := CronEntry(j, true, minute)
		if err != nil {
			return nil, err
		}
		text := "# Written by `plexform schedule install`; `plexform schedule remove " + j.Name + "` deletes it.\nSHELL=/bin/sh\n" + entry
		// cron.d files must not be writable by group or others, or cron skips them.
		return []string{file}, writeFile(h, file, []byte(text), 0o644)
	}
	if h.Run == nil {
		return nil, fmt.Errorf("under -root a cron schedule needs %s in the tree; a user's crontab is changed only with crontab(1) on the host", CronDir)
	}
	entry, err := CronEntry(j, false, minute)
	if err != nil {
		return nil, err
	}
	tab, err := c.crontab(h)
	if err != nil {
		return nil, err
	}
	tab, _ = dropCronEntry(tab, j.Name)
	if tab != "" && !strings.HasSuffix(tab, "\n") {
		tab += "\n"
	}
	if err := c.setCrontab(h, tab+entry); err != nil {
		return nil, err
	}
	return []string{"crontab"}, nil
}

// crontab reads the user's crontab; none is an empty one.
func (Cron) crontab(h *Host) (string, error) {
	out, err := h.run("crontab", "-l")
	if err != nil {
		// "no crontab for USER" is how cronie and Debian's cron say it is empty.
		if strings.Contains(string(out), "no crontab") {
			return "", nil
		}
		return "", err
	}
	return string(out), nil
}

// setCrontab replaces the user's crontab through a private temporary file (crontab FILE):
// crontab(1) checks it and installs it atomically.
func (Cron) setCrontab(h *Host, tab string) error {
	f, err := os.CreateTemp("", "plexform-crontab-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(tab); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = h.run("crontab", f.Name())
	return err
}

// dropCronEntry removes a schedule's marker line and the cron line after it, and
// nothing else; found says whether it was there.
func dropCronEntry(tab, name string) (string, bool) {
	lines := strings.SplitAfter(tab, "\n")
	var out strings.Builder
	found := false
	for i := 0; i < len(lines); i++ {
		if e, ok := findMarker(lines[i]); ok && e.Name == name && strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
			found = true
			if i+1 < len(lines) && strings.Contains(lines[i+1], cronQuote("-schedule")+" "+cronQuote(name)+" ") {
				i++
			}
			continue
		}
		out.WriteString(lines[i])
	}
	return out.String(), found
}

func (c Cron) List(h *Host) ([]Entry, error) {
	var out []Entry
	if h.System {
		for _, f := range listDir(h, CronDir) {
			if !strings.HasPrefix(f, UnitBase) {
				continue
			}
			file := path.Join(CronDir, f)
			if e, ok := readOwn(h, file); ok && f == UnitBase+e.Name {
				e.Scheduler, e.Files = c.Name(), []string{file}
				out = append(out, e)
			}
		}
	}
	if h.Run == nil || c.cronFile(h, "x") != "" {
		return out, nil
	}
	tab, err := c.crontab(h)
	if err != nil {
		return out, err
	}
	for _, line := range strings.Split(tab, "\n") {
		if e, ok := findMarker(line); ok && strings.HasPrefix(strings.TrimSpace(line), "#") {
			e.Scheduler, e.Files = c.Name(), []string{"crontab"}
			out = append(out, e)
		}
	}
	return out, nil
}

func (c Cron) Remove(h *Host, name string) ([]string, error) {
	if file := c.cronFile(h, name); file != "" {
		if e, ok := readOwn(h, file); ok && e.Name == name {
			if err := os.Remove(h.Root.Path(file)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("remove %s: %w", file, err)
			}
			return []string{file}, nil
		}
		return nil, ErrNotFound
	}
	if h.Run == nil {
		return nil, ErrNotFound
	}
	tab, err := c.crontab(h)
	if err != nil {
		return nil, err
	}
	tab, found := dropCronEntry(tab, name)
	if !found {
		return nil, ErrNotFound
	}
	return []string{"crontab"}, c.setCrontab(h, tab)
}

// CronLine is one parsed crontab line.
type CronLine struct {
	// Fields are minute, hour, day of month, month, day of week.
	Fields  [5]string
	User    string // cron.d and /etc/crontab only
	Command string
}

// cronBounds are each field's range (crontab(5)); 7 is Sunday too.
var cronBounds = [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}

var cronNames = [5][]string{nil, nil, nil,
	{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"},
	{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}

// maxCronLine bounds a line the parser takes; crontab(1) itself refuses lines over 1000
// bytes in cronie.
const maxCronLine = 4096

// ParseCronLine parses a crontab line with five time fields (no @reboot shorthand) and,
// withUser, a user field; the command is the rest. It checks each field as crontab(5)
// defines it: *, numbers, ranges, lists and steps within the field's bounds, and month
// and day names.
func ParseCronLine(line string, withUser bool) (CronLine, error) {
	var cl CronLine
	if len(line) > maxCronLine {
		return cl, fmt.Errorf("cron line of %d bytes (at most %d)", len(line), maxCronLine)
	}
	rest := strings.TrimLeft(line, " \t")
	n := 5
	if withUser {
		n = 6
	}
	for i := 0; i < n; i++ {
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			return cl, fmt.Errorf("cron line has %d fields, want %d and a command", i+1, n)
		}
		field := rest[:end]
		rest = strings.TrimLeft(rest[end:], " \t")
		if i == 5 {
			cl.User = field
			continue
		}
		if err := checkCronField(field, i); err != nil {
			return cl, err
		}
		cl.Fields[i] = field
	}
	if cl.Command = strings.TrimRight(rest, "\r\n"); cl.Command == "" {
		return cl, errors.New("cron line has no command")
	}
	return cl, nil
}

var cronFieldNames = [5]string{"minute", "hour", "day of month", "month", "day of week"}

func checkCronField(field string, i int) error {
	for _, part := range strings.Split(field, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		if hasStep {
			if s, err := strconv.Atoi(step); err != nil || s < 1 || s > cronBounds[i][1]+1 {
				return fmt.Errorf("cron %s field %q: bad step", cronFieldNames[i], field)
			}
		}
		if rng == "*" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := cronValue(lo, i)
		if err != nil {
			return fmt.Errorf("cron %s field %q: %w", cronFieldNames[i], field, err)
		}
		b := a
		if isRange {
			if b, err = cronValue(hi, i); err != nil {
				return fmt.Errorf("cron %s field %q: %w", cronFieldNames[i], field, err)
			}
		} else if hasStep {
			// "5/15" means 5-max/15 in cronie and Debian's cron.
			b = cronBounds[i][1]
		}
		if a > b {
			return fmt.Errorf("cron %s field %q: range goes backwards", cronFieldNames[i], field)
		}
	}
	return nil
}

func cronValue(s string, i int) (int, error) {
	for k, name := range cronNames[i] {
		if strings.EqualFold(s, name) {
			return k + cronBounds[i][0], nil
		}
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, cronBounds[i][0], cronBounds[i][1])
	}
	v, err := strconv.Atoi(s)
	if err != nil || len(s) > 2 || v < cronBounds[i][0] || v > cronBounds[i][1] {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, cronBounds[i][0], cronBounds[i][1])
	}
	return v, nil
}
