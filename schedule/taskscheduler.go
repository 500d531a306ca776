package schedule

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path"
	"strings"
	"time"
	"unicode/utf16"
)

// TaskScheduler schedules with a Windows Task Scheduler task, \plexform-NAME, created
// from an XML task definition with `schtasks /create /xml FILE /tn NAME` (Microsoft
// Learn, "schtasks create"; the format is the Task Scheduler Schema,
// https://learn.microsoft.com/windows/win32/taskschd/task-scheduler-schema). The task
// runs as the user whose registry hive holds Plex's values (Plex Media Server on
// Windows keeps them under that user's HKEY_CURRENT_USER and runs in that user's
// session), with the InteractiveToken logon type: it runs while that user is logged on,
// which is when Plex runs, and needs no stored password. StartWhenAvailable runs a run
// missed while the PC was off as soon as it can; the run's one-line result goes to the
// Application event log through eventcreate (LogResult).
type TaskScheduler struct{}

func (TaskScheduler) Name() string { return "taskscheduler" }

// TasksDir is where Task Scheduler keeps its task files; under a -root tree the task's
// XML is written there, as the service would store it, since no schtasks runs.
const TasksDir = "/Windows/System32/Tasks"

// TaskName is the task's name in the root folder.
func TaskName(name string) string { return UnitBase + name }

// TaskXML is the task definition. Its version is 1.3 (Windows 7 and later), the value the
// published schema fixes for the version attribute; it uses nothing newer than 1.2. The
// marker is the Description, which Task Scheduler keeps (it drops XML comments).
func TaskXML(j Job, start time.Time) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-16"?>` + "\n")
	b.WriteString(`<Task version="1.3" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">` + "\n")
	fmt.Fprintf(&b, "  <RegistrationInfo>\n    <Author>plexform</Author>\n    <Description>%s</Description>\n    <URI>\\%s</URI>\n  </RegistrationInfo>\n",
		xmlText(Marker(j)), TaskName(j.Name))
	// The trigger's children in the schema's order (triggerBaseType is a sequence):
	// Enabled, StartBoundary, Repetition, then timeTriggerType's RandomDelay.
	b.WriteString("  <Triggers>\n    <TimeTrigger>\n")
	fmt.Fprintf(&b, "      <Enabled>true</Enabled>\n      <StartBoundary>%s</StartBoundary>\n", start.Format("2006-01-02T15:04:05"))
	fmt.Fprintf(&b, "      <Repetition>\n        <Interval>%s</Interval>\n        <StopAtDurationEnd>false</StopAtDurationEnd>\n      </Repetition>\n", isoDuration(j.Every))
	if d := RandomDelay(j.Every); d > 0 {
		fmt.Fprintf(&b, "      <RandomDelay>%s</RandomDelay>\n", isoDuration(d))
	}
	b.WriteString("    </TimeTrigger>\n  </Triggers>\n")
	b.WriteString("  <Principals>\n    <Principal id=\"Author\">\n")
	fmt.Fprintf(&b, "      <UserId>%s</UserId>\n      <LogonType>InteractiveToken</LogonType>\n      <RunLevel>LeastPrivilege</RunLevel>\n", xmlText(j.User))
	b.WriteString("    </Principal>\n  </Principals>\n")
	b.WriteString("  <Settings>\n    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n" +
		"    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n" +
		"    <StartWhenAvailable>true</StartWhenAvailable>\n    <ExecutionTimeLimit>PT30M</ExecutionTimeLimit>\n    <Enabled>true</Enabled>\n  </Settings>\n")
	cmd := j.Command()
	args := make([]string, 0, len(cmd)-1)
	for _, a := range cmd[1:] {
		args = append(args, winQuote(a))
	}
	fmt.Fprintf(&b, "  <Actions Context=\"Author\">\n    <Exec>\n      <Command>%s</Command>\n      <Arguments>%s</Arguments>\n    </Exec>\n  </Actions>\n",
		xmlText(winQuote(cmd[0])), xmlText(strings.Join(args, " ")))
	b.WriteString("</Task>\n")
	return b.String()
}

// isoDuration spells d as an XML Schema duration (PT1H, PT15M, P1D).
func isoDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("P%dD", d/(24*time.Hour))
	}
	s := "PT"
	if h := d / time.Hour; h > 0 {
		s += fmt.Sprintf("%dH", h)
	}
	if m := d % time.Hour / time.Minute; m > 0 {
		s += fmt.Sprintf("%dM", m)
	}
	if sec := d % time.Minute / time.Second; sec > 0 || s == "PT" {
		s += fmt.Sprintf("%dS", sec)
	}
	return s
}

// winQuote quotes one argument as CommandLineToArgvW reads it back: in double quotes
// when it has a space, tab or quote, with backslashes doubled before a quote (the rules
// of Go's syscall.EscapeArg, which exists only on Windows).
func winQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// UTF16 encodes the task XML as schtasks /xml reads it: UTF-16 little endian with a
// byte order mark, as Task Scheduler exports tasks.
func UTF16(s string) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 2, 2+2*len(units))
	out[0], out[1] = 0xff, 0xfe
	for _, u := range units {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// fromUTF16 decodes schtasks output that starts with a UTF-16 byte order mark, and
// returns anything else as is.
func fromUTF16(b []byte) string {
	if len(b) < 2 || b[0] != 0xff || b[1] != 0xfe {
		return string(b)
	}
	b = b[2:]
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(units))
}

func (t TaskScheduler) Install(h *Host, j Job) ([]string, error) {
	// The first run is at the next whole minute; the trigger's Repetition then repeats
	// it every interval from there (its random delay spreads a fleet).
	start := time.Now().Truncate(time.Minute).Add(time.Minute)
	data := UTF16(TaskXML(j, start))
	if h.Run == nil {
		file := path.Join(TasksDir, TaskName(j.Name))
		return []string{file}, writeFile(h, file, data, 0o644)
	}
	if e, found := t.query(h, TaskName(j.Name)); found && e.Name != j.Name {
		return nil, fmt.Errorf("task \\%s exists and plexform did not make it; delete it, or choose another -name", TaskName(j.Name))
	}
	f, err := os.CreateTemp("", "plexform-task-*.xml")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if _, err := h.run("schtasks", "/create", "/xml", f.Name(), "/tn", TaskName(j.Name), "/f"); err != nil {
		return nil, err
	}
	return []string{`\` + TaskName(j.Name)}, nil
}

// query reads a task's definition; found is true when the task exists, and the entry's
// Name is set only when it is plexform's.
func (TaskScheduler) query(h *Host, task string) (Entry, bool) {
	out, err := h.run("schtasks", "/query", "/xml", "/tn", task)
	if err != nil {
		return Entry{}, false
	}
	e, _ := findMarker(fromUTF16(out))
	return e, true
}

func (t TaskScheduler) List(h *Host) ([]Entry, error) {
	var out []Entry
	if h.Run == nil {
		for _, f := range listDir(h, TasksDir) {
			file := path.Join(TasksDir, f)
			if data, _, err := h.Root.ReadFile(h.Root.Path(file), maxUnitFile); err == nil && strings.HasPrefix(f, UnitBase) {
				if e, ok := findMarker(fromUTF16(data)); ok && f == TaskName(e.Name) {
					e.Scheduler, e.Files = t.Name(), []string{file}
					out = append(out, e)
				}
			}
		}
		return out, nil
	}
	// /fo csv /v: one row per task with its next and last run and last result; the
	// column titles are English on an English Windows only, so they are looked up by
	// name and left out when not found.
	raw, err := h.run("schtasks", "/query", "/fo", "csv", "/v")
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(bytes.NewReader([]byte(fromUTF16(raw)))).ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, fmt.Errorf("read schtasks /query output: %v", err)
	}
	col := map[string]int{}
	for i, title := range rows[0] {
		col[title] = i
	}
	get := func(row []string, title string) string {
		if i, ok := col[title]; ok && i < len(row) {
			return row[i]
		}
		return ""
	}
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		task := strings.TrimPrefix(get(row, "TaskName"), `\`)
		if !strings.HasPrefix(task, UnitBase) || seen[task] {
			continue
		}
		seen[task] = true
		e, found := t.query(h, task)
		if !found || e.Name == "" || TaskName(e.Name) != task {
			continue
		}
		e.Scheduler, e.Files = t.Name(), []string{`\` + task}
		e.Next, e.Last, e.State = get(row, "Next Run Time"), get(row, "Last Run Time"), get(row, "Status")
		out = append(out, e)
	}
	return out, nil
}

func (t TaskScheduler) Remove(h *Host, name string) ([]string, error) {
	if h.Run == nil {
		file := path.Join(TasksDir, TaskName(name))
		data, _, err := h.Root.ReadFile(h.Root.Path(file), maxUnitFile)
		if e, ok := findMarker(fromUTF16(data)); err != nil || !ok || e.Name != name {
			return nil, ErrNotFound
		}
		return []string{file}, os.Remove(h.Root.Path(file))
	}
	if e, found := t.query(h, TaskName(name)); !found || e.Name != name {
		return nil, ErrNotFound
	}
	if _, err := h.run("schtasks", "/delete", "/tn", TaskName(name), "/f"); err != nil {
		return nil, err
	}
	return []string{`\` + TaskName(name)}, nil
}
