package schedule

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// Launchd schedules with a property list: a LaunchDaemon in /Library/LaunchDaemons as
// root, a LaunchAgent in ~/Library/LaunchAgents otherwise, loaded with `launchctl
// bootstrap` (launchctl(1): "bootstrap domain-target service-path"; system for daemons,
// gui/UID for agents). StartCalendarInterval runs it at the calendar times of -every,
// from a random minute of the hour as cron does, because a run missed while the Mac
// slept then runs when it wakes (launchd.plist(5), StartCalendarInterval: "Unlike cron
// which skips job invocations when the computer is asleep, launchd will start the job
// the next time the computer wakes up. If multiple intervals transpire before the
// computer is woken, those events will be coalesced into one event upon wake from
// sleep"). StartInterval would not do: "If the system is asleep during the time of the
// next scheduled interval firing, that interval will be missed due to shortcomings in
// kqueue(3)" (launchd.plist(5), StartInterval). launchd does not
// send a job's output to the unified log: StandardOutPath and StandardErrorPath
// (launchd.plist(5)) put it in a log file under Library/Logs, and the scheduled run
// writes its one-line result to the unified log with logger(1) (LogResult). Apple's
// "Creating Launch Daemons and Agents" (developer.apple.com/library/archive/documentation/
// MacOSX/Conceptual/BPSystemStartup/Chapters/CreatingLaunchdJobs.html) gives the two
// directories and the rule that a daemon's plist is root's and not writable by others.
//
// The plist holds no secret: the run reads its {env:} values from its own 0600
// environment file (envfile.go), as on every platform, because a daemon's plist must be
// world-readable and `launchctl print` shows a job's EnvironmentVariables.
type Launchd struct{}

func (Launchd) Name() string { return "launchd" }

const (
	LaunchDaemonDir = "/Library/LaunchDaemons"
	LaunchAgentDir  = "Library/LaunchAgents" // under the home directory
)

func (Launchd) dir(h *Host) string {
	if h.System {
		return LaunchDaemonDir
	}
	return path.Join(h.Home, LaunchAgentDir)
}

func (Launchd) logDir(h *Host) string {
	if h.System {
		return "/Library/Logs/plexform"
	}
	return path.Join(h.Home, "Library/Logs/plexform")
}

// domain is launchctl's domain target: system, or the user's GUI session.
func (Launchd) domain(h *Host) string {
	if h.System {
		return "system"
	}
	return "gui/" + strconv.Itoa(os.Getuid())
}

// Label is a schedule's launchd label and plist base name.
func Label(name string) string { return UnitBase + name }

// Plist is the job's property list (launchd.plist(5)); the marker is an XML comment,
// which property list parsers skip. minute (0-59) is where the calendar starts in the
// hour.
func Plist(j Job, logFile string, minute int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	fmt.Fprintf(&b, "<!-- %s -->\n", xmlComment(Marker(j)))
	b.WriteString("<!-- Written by `plexform schedule install`; `plexform schedule remove " + j.Name + "` deletes it. -->\n")
	b.WriteString("<plist version=\"1.0\">\n<dict>\n")
	str := func(k, v string) { fmt.Fprintf(&b, "\t<key>%s</key>\n\t<string>%s</string>\n", k, xmlText(v)) }
	str("Label", Label(j.Name))
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range j.Command() {
		fmt.Fprintf(&b, "\t\t<string>%s</string>\n", xmlText(a))
	}
	b.WriteString("\t</array>\n")
	b.WriteString("\t<key>StartCalendarInterval</key>\n\t<array>\n")
	for _, t := range CalendarTimes(j.Every, minute) {
		b.WriteString("\t\t<dict>\n")
		if t.Hour >= 0 {
			fmt.Fprintf(&b, "\t\t\t<key>Hour</key>\n\t\t\t<integer>%d</integer>\n", t.Hour)
		}
		fmt.Fprintf(&b, "\t\t\t<key>Minute</key>\n\t\t\t<integer>%d</integer>\n", t.Minute)
		b.WriteString("\t\t</dict>\n")
	}
	b.WriteString("\t</array>\n")
	b.WriteString("\t<key>RunAtLoad</key>\n\t<false/>\n")
	str("ProcessType", "Background")
	str("StandardOutPath", logFile)
	str("StandardErrorPath", logFile)
	b.WriteString("\t<key>EnvironmentVariables</key>\n\t<dict>\n\t\t<key>NO_COLOR</key>\n\t\t<string>1</string>\n\t</dict>\n")
	b.WriteString("</dict>\n</plist>\n")
	return b.String()
}

// CalendarTime is one entry of a StartCalendarInterval: minute Minute of hour Hour, or
// of every hour when Hour is -1 (launchd.plist(5): "Missing arguments are considered to
// be wildcard").
type CalendarTime struct{ Hour, Minute int }

// CalendarTimes lists the times of the day a job runs every `every` (which CalendarOf
// accepts), starting at minute of the hour: every 15 minutes from minute 7 is minutes
// 7, 22, 37 and 52 of every hour; hourly is minute 7 of every hour; every 6 hours is
// minute 7 of hours 0, 6, 12 and 18.
func CalendarTimes(every time.Duration, minute int) []CalendarTime {
	cal, err := CalendarOf(every)
	if err != nil {
		return nil
	}
	var out []CalendarTime
	if cal.Minutes > 0 {
		for m := minute % cal.Minutes; m < 60; m += cal.Minutes {
			out = append(out, CalendarTime{Hour: -1, Minute: m})
		}
		return out
	}
	if cal.Hours == 1 {
		return []CalendarTime{{Hour: -1, Minute: minute % 60}}
	}
	for h := 0; h < 24; h += cal.Hours {
		out = append(out, CalendarTime{Hour: h, Minute: minute % 60})
	}
	return out
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// xmlComment keeps "--" out of a comment, where XML forbids it.
func xmlComment(s string) string { return strings.ReplaceAll(xmlText(s), "--", "-&#45;") }

func (l Launchd) Install(h *Host, j Job) ([]string, error) {
	file := path.Join(l.dir(h), Label(j.Name)+".plist")
	if _, err := os.Lstat(h.Root.Path(file)); err == nil {
		if e, ok := readOwn(h, file); !ok || e.Name != j.Name {
			return nil, fmt.Errorf("%s exists and plexform did not write it; remove or rename it, or choose another -name", file)
		}
		// A reinstall replaces the loaded job: bootstrap refuses a label already loaded.
		_, _ = h.run("launchctl", "bootout", l.domain(h)+"/"+Label(j.Name))
	}
	logDir := l.logDir(h)
	d, err := h.Root.MkdirAll(h.Root.Path(logDir), 0o755)
	if err != nil {
		return nil, fmt.Errorf("make %s: %w", logDir, err)
	}
	d.Close()
	// launchd refuses a daemon's plist that is writable by anyone but root.
	if err := writeFile(h, file, []byte(Plist(j, path.Join(logDir, Label(j.Name)+".log"), rand.IntN(60))), 0o644); err != nil {
		return nil, err
	}
	if _, err := h.run("launchctl", "bootstrap", l.domain(h), file); err != nil {
		return []string{file}, err
	}
	return []string{file}, nil
}

func (l Launchd) List(h *Host) ([]Entry, error) {
	dir := l.dir(h)
	var out []Entry
	for _, f := range listDir(h, dir) {
		if !strings.HasPrefix(f, UnitBase) || !strings.HasSuffix(f, ".plist") {
			continue
		}
		e, ok := readOwn(h, path.Join(dir, f))
		if !ok || f != Label(e.Name)+".plist" {
			continue
		}
		e.Scheduler, e.Files = l.Name(), []string{path.Join(dir, f)}
		// launchctl print's "state = waiting" and "runs = N"; its layout "is not API"
		// (launchctl(1)), so only these two words are taken, and none when it changes.
		if out, err := h.run("launchctl", "print", l.domain(h)+"/"+Label(e.Name)); err == nil {
			for _, line := range strings.Split(string(out), "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "state = "); ok && e.State == "" {
					e.State = v
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func (l Launchd) Remove(h *Host, name string) ([]string, error) {
	file := path.Join(l.dir(h), Label(name)+".plist")
	if e, ok := readOwn(h, file); !ok || e.Name != name {
		return nil, ErrNotFound
	}
	if _, err := h.run("launchctl", "bootout", l.domain(h)+"/"+Label(name)); err != nil && !strings.Contains(err.Error(), "No such process") {
		return nil, err
	}
	if err := os.Remove(h.Root.Path(file)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("remove %s: %w", file, err)
	}
	return []string{file}, nil
}
