package schedule

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"howett.net/plist"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores/fileutil"
)

// The plist is read by libplist (plistutil, what `plutil -lint` is on Linux): it converts
// the XML to a binary plist and back, and the keys launchd reads hold what they must.
func TestPlistParsesWithPlistutil(t *testing.T) {
	plistutil := requireTool(t, "plistutil", "libplist-utils")
	dir := t.TempDir()
	xmlFile, binFile, backFile := filepath.Join(dir, "a.plist"), filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.plist")
	if err := os.WriteFile(xmlFile, []byte(Plist(oddJob, "/Library/Logs/plexform/plexform-odd.log", 7)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runTool(plistutil, "-i", xmlFile, "-o", binFile, "-f", "bin"); err != nil {
		t.Fatalf("plistutil to binary: %v\n%s", err, out)
	}
	if out, err := runTool(plistutil, "-i", binFile, "-o", backFile, "-f", "xml"); err != nil {
		t.Fatalf("plistutil back to XML: %v\n%s", err, out)
	}
	bin, _ := os.ReadFile(binFile)
	if !bytes.HasPrefix(bin, []byte("bplist00")) {
		t.Fatalf("plistutil wrote no binary plist")
	}
	var job struct {
		Label                 string
		ProgramArguments      []string
		StartInterval         int
		StartCalendarInterval []map[string]int
		RunAtLoad             bool
		StandardOutPath       string
		StandardErrorPath     string
		ProcessType           string
		EnvironmentVariables  map[string]string
	}
	back, _ := os.ReadFile(backFile)
	if _, err := plist.Unmarshal(back, &job); err != nil {
		t.Fatalf("decode plistutil's output: %v", err)
	}
	if job.Label != "plexform-odd" || !slices.Equal(job.ProgramArguments, oddJob.Command()) || job.RunAtLoad ||
		job.StandardOutPath != "/Library/Logs/plexform/plexform-odd.log" || job.StandardErrorPath != job.StandardOutPath || job.ProcessType != "Background" {
		t.Errorf("launchd would read %+v", job)
	}
	// Hourly from minute 7, on the calendar: a run missed while the Mac slept runs at wake
	// (StartCalendarInterval); StartInterval's would be missed.
	if want := []map[string]int{{"Minute": 7}}; job.StartInterval != 0 || !slices.EqualFunc(job.StartCalendarInterval, want, maps.Equal) {
		t.Errorf("StartInterval %d, StartCalendarInterval %v; want none and %v", job.StartInterval, job.StartCalendarInterval, want)
	}
	// Nothing but NO_COLOR in the environment: the plist is world-readable.
	if len(job.EnvironmentVariables) != 1 || job.EnvironmentVariables["NO_COLOR"] != "1" {
		t.Errorf("EnvironmentVariables = %v, want only NO_COLOR", job.EnvironmentVariables)
	}
}

func TestCalendarTimes(t *testing.T) {
	for _, tc := range []struct {
		every  time.Duration
		minute int
		want   []CalendarTime
	}{
		{15 * time.Minute, 37, []CalendarTime{{-1, 7}, {-1, 22}, {-1, 37}, {-1, 52}}},
		{time.Hour, 12, []CalendarTime{{-1, 12}}},
		{6 * time.Hour, 59, []CalendarTime{{0, 59}, {6, 59}, {12, 59}, {18, 59}}},
		{24 * time.Hour, 3, []CalendarTime{{0, 3}}},
		{7 * time.Minute, 3, nil},
	} {
		if got := CalendarTimes(tc.every, tc.minute); !slices.Equal(got, tc.want) {
			t.Errorf("CalendarTimes(%s, %d) = %v, want %v", tc.every, tc.minute, got, tc.want)
		}
	}
}

func TestLaunchdInstallListRemove(t *testing.T) {
	for _, system := range []bool{true, false} {
		h, rec, dir := treeHost(t, system)
		job := Job{Name: "signin", Plan: "/p.yaml", Exe: "/usr/local/bin/plexform", Every: 30 * time.Minute}
		files, err := Launchd{}.Install(h, job)
		if err != nil {
			t.Fatal(err)
		}
		want := "/Library/LaunchDaemons/plexform-signin.plist"
		domain := "system"
		if !system {
			want = "/home/alice/Library/LaunchAgents/plexform-signin.plist"
			domain = "gui/"
		}
		if !slices.Equal(files, []string{want}) || len(rec.calls) != 1 || !strings.HasPrefix(rec.calls[0], "launchctl bootstrap "+domain) {
			t.Errorf("system %v: wrote %v, ran %q", system, files, rec.calls)
		}
		if fi, err := os.Stat(filepath.Join(dir, want)); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v %v, want mode 0644 (launchd refuses a plist others can write)", want, err, fi)
		}
		if list, err := (Launchd{}).List(h); err != nil || len(list) != 1 || list[0].Name != "signin" {
			t.Errorf("List = %+v, %v", list, err)
		}
		if _, err := (Launchd{}).Remove(h, "signin"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, want)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after Remove", want)
		}
		if !strings.HasPrefix(rec.calls[len(rec.calls)-1], "launchctl bootout "+domain) {
			t.Errorf("Remove ran %q, want launchctl bootout", rec.calls)
		}
	}
}

// The task XML is checked by xmllint against the documented element set of the Task
// Scheduler schema (testdata/task-subset.xsd says what it covers: Microsoft's XSD is
// published only inside its documentation, not in a package here).
func TestTaskXMLAgainstSchema(t *testing.T) {
	xmllint := requireTool(t, "xmllint", "libxml2-utils")
	dir := t.TempDir()
	for _, every := range []time.Duration{time.Minute, 15 * time.Minute, time.Hour, 24 * time.Hour} {
		job := oddJob
		job.Every = every
		file := filepath.Join(dir, "task.xml")
		if err := os.WriteFile(file, UTF16(TaskXML(job, time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC))), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := runTool(xmllint, "--noout", "--schema", "testdata/task-subset.xsd", file); err != nil {
			t.Errorf("-every %s: xmllint: %v\n%s", every, err, out)
		}
	}
	// The check can fail: a trigger whose children are out of the schema's order.
	bad := strings.Replace(TaskXML(oddJob, time.Now()), "<Enabled>true</Enabled>\n      <StartBoundary>", "<StartBoundary>", 1)
	bad = strings.Replace(bad, "</StartBoundary>\n", "</StartBoundary>\n      <Enabled>true</Enabled>\n", 1)
	file := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runTool(xmllint, "--noout", "--schema", "testdata/task-subset.xsd", file); err == nil {
		t.Errorf("xmllint accepted a trigger out of order:\n%s", out)
	}
}

// winQuote's arguments come back whole through CommandLineToArgvW's rules.
func TestWinQuote(t *testing.T) {
	for in, want := range map[string]string{
		`C:\plans\signin.yaml`:    `C:\plans\signin.yaml`,
		`C:\My Plans\signin.yaml`: `"C:\My Plans\signin.yaml"`,
		`C:\dir with space\`:      `"C:\dir with space\\"`,
		`say "hi"`:                `"say \"hi\""`,
		``:                        `""`,
	} {
		if got := winQuote(in); got != want {
			t.Errorf("winQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// Wine's schtasks takes the task XML with /create /xml (it refuses malformed XML) and
// keeps the Description that carries the marker; /delete removes it. Wine's Task
// Scheduler keeps only part of a definition (no trigger, principal or command) and has
// no /query, so this proves the file is accepted, not that Windows would run it.
func TestTaskCreatedByWineSchtasks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: booting a Wine prefix takes most of a minute")
	}
	wine := requireTool(t, "wine", "wine")
	prefix := t.TempDir()
	env := append(os.Environ(), "WINEPREFIX="+prefix, "WINEDEBUG=-all", "DISPLAY=")
	// Wine's server outlives the command and holds its output pipes open: WaitDelay
	// ends the wait for them once the command itself has exited.
	wineRun := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env, cmd.WaitDelay = env, 5*time.Second
		// The Windows program runs in a process of Wine's own, not the launcher: a
		// command that hangs is ended by ending the prefix's server.
		cmd.Cancel = func() error {
			stop := exec.Command("wineserver", "-k")
			stop.Env = env
			_ = stop.Run()
			return cmd.Process.Kill()
		}
		out, err := cmd.CombinedOutput()
		if errors.Is(err, exec.ErrWaitDelay) {
			err = nil
		}
		return string(out), err
	}
	schtasks := func(args ...string) (string, error) { return wineRun(append([]string{wine, "schtasks"}, args...)...) }
	if out, err := wineRun("wineboot", "-i"); err != nil {
		testtool.Unavailable(t, "wineboot -i failed: "+err.Error()+": "+out)
	}
	t.Cleanup(func() { _, _ = wineRun("wineserver", "-k") })
	job := Job{Name: "signin", Plan: `C:\plexform\plex-signin.yaml`, Exe: `C:\Program Files\plexform\plexform.exe`, Every: time.Hour, User: "alice"}
	// The XML as Install writes it under a tree, outside Wine's own tasks directory.
	tree := t.TempDir()
	h := &Host{Root: fileutil.RootAt(tree), Home: "/users/alice"}
	if _, err := (TaskScheduler{}).Install(h, job); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tree, TasksDir, TaskName(job.Name))
	win := `Z:` + strings.ReplaceAll(file, "/", `\`)
	// In a fresh prefix Wine's schtasks fails without a word for the first half minute or
	// so after wineboot (seen here: two failures, then success with the same file), so
	// /create is tried for up to a minute; the malformed file below is refused after it.
	var out string
	err := errors.New("not tried")
	for try := 0; err != nil && try < 20; try++ {
		if try > 0 {
			time.Sleep(3 * time.Second)
		}
		out, err = schtasks("/create", "/xml", win, "/tn", "plexform-signin", "/f")
	}
	if err != nil {
		t.Fatalf("wine schtasks /create /xml: %v\n%s", err, out)
	}
	stored := filepath.Join(prefix, "drive_c/windows/system32/tasks/plexform-signin")
	data, err := os.ReadFile(stored)
	if err != nil {
		t.Fatalf("Wine stored no task: %v", err)
	}
	if e, ok := findMarker(fromUTF16(data)); !ok || e.Name != "signin" || e.Plan != job.Plan {
		t.Errorf("the task Wine stored has no marker for signin:\n%s", fromUTF16(data))
	}
	// A task whose document never ends is refused. (A task XML cut short just before
	// its end tag made Wine's schtasks hang instead; this shorter one it refuses.)
	malformed := filepath.Join(prefix, "bad.xml")
	if err := os.WriteFile(malformed, UTF16(`<Task version="1.3" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task"><Bogus>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := schtasks("/create", "/xml", `Z:`+strings.ReplaceAll(malformed, "/", `\`), "/tn", "plexform-bad", "/f"); err == nil {
		t.Errorf("wine schtasks took a task XML that never ends:\n%s", out)
	}
	if out, err := schtasks("/delete", "/tn", "plexform-signin", "/f"); err != nil {
		t.Fatalf("wine schtasks /delete: %v\n%s", err, out)
	}
	if _, err := os.Stat(stored); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the task is still there after /delete: %v", err)
	}
}
