package schedule

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every line plexform writes parses as the crontab line it is meant to be, with the user
// field in cron.d and without it in a crontab.
func TestCronEntryParses(t *testing.T) {
	for _, tc := range []struct {
		every  time.Duration
		minute int
		fields [5]string
	}{
		{15 * time.Minute, 37, [5]string{"7-59/15", "*", "*", "*", "*"}},
		{time.Minute, 12, [5]string{"0-59/1", "*", "*", "*", "*"}},
		{time.Hour, 12, [5]string{"12", "*/1", "*", "*", "*"}},
		{6 * time.Hour, 59, [5]string{"59", "*/6", "*", "*", "*"}},
		{24 * time.Hour, 3, [5]string{"3", "0", "*", "*", "*"}},
	} {
		for _, withUser := range []bool{true, false} {
			job := oddJob
			job.Every = tc.every
			entry, err := CronEntry(job, withUser, tc.minute)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(entry, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "# "+markerPrefix) {
				t.Fatalf("entry is not a marker and a line:\n%s", entry)
			}
			cl, err := ParseCronLine(lines[1], withUser)
			if err != nil {
				t.Fatalf("-every %s: %v\n%s", tc.every, err, lines[1])
			}
			if cl.Fields != tc.fields || (withUser && cl.User != "root") {
				t.Errorf("-every %s: fields %q user %q, want %q", tc.every, cl.Fields, cl.User, tc.fields)
			}
			// sh reads the command back into the job's arguments: no %, which cron
			// would turn into a newline, is left unescaped.
			if strings.Contains(strings.ReplaceAll(cl.Command, `\%`, ""), "%") || !strings.HasSuffix(cl.Command, "| logger -t plexform-odd") {
				t.Errorf("command %q", cl.Command)
			}
		}
	}
}

// cron runs a line with sh and PATH=/usr/bin:/bin (crontab(5)); the run must still find
// the tools in the sbin and Synology directories, so its command sets CronPath.
func TestCronLineSetsPath(t *testing.T) {
	sh := requireTool(t, "sh", "dash")
	dir := t.TempDir()
	exe := filepath.Join(dir, "plexform")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\necho \"$PATH\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	entry, err := CronEntry(Job{Name: "p", Plan: "/p.yaml", Exe: exe, Every: time.Hour}, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ParseCronLine(strings.Split(entry, "\n")[1], false)
	if err != nil {
		t.Fatal(err)
	}
	// What cron hands sh: \% is %, and the log pipe is left out (logger writes to syslog).
	command, _, _ := strings.Cut(strings.ReplaceAll(cl.Command, `\%`, "%"), " 2>&1 | logger")
	cmd := exec.Command(sh, "-c", command)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "SHELL=/bin/sh", "LOGNAME=root"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", command, err)
	}
	if got := strings.TrimSpace(string(out)); got != CronPath || !strings.Contains(got, "/usr/sbin") || !strings.Contains(got, "/usr/syno/bin") {
		t.Errorf("the run's PATH is %q, want %q", got, CronPath)
	}
}

func TestParseCronLineRefuses(t *testing.T) {
	for _, line := range []string{
		"", "* * * *", "* * * * *", "60 * * * * cmd", "* 24 * * * cmd", "* * 0 * * cmd", "* * * 13 * cmd",
		"* * * * 8 cmd", "5-1 * * * * cmd", "*/0 * * * * cmd", "+5 * * * * cmd", "a * * * * cmd",
		"1,,2 * * * * cmd", "* * * foo * cmd", "*/100 * * * * cmd", strings.Repeat("1", 5000) + " * * * * cmd",
	} {
		if cl, err := ParseCronLine(line, false); err == nil {
			t.Errorf("ParseCronLine(%.40q) = %+v, want an error", line, cl)
		}
	}
	for _, line := range []string{"0 0 * jan,Dec mon-fri cmd", "*/5 1-5/2 1,15 * 7 cmd with  spaces", "5/15 * * * * x"} {
		if _, err := ParseCronLine(line, false); err != nil {
			t.Errorf("ParseCronLine(%q): %v", line, err)
		}
	}
}

// FuzzParseCronLine: any input is parsed or refused, never a panic; what parses has five
// fields that parse again on their own.
func FuzzParseCronLine(f *testing.F) {
	for _, seed := range []string{"*/15 * * * * root /x", "0 0 1 jan sun cmd", "7-59/15 * * * * 'a' | logger", "* * * * *"} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, line string, withUser bool) {
		cl, err := ParseCronLine(line, withUser)
		if err != nil {
			return
		}
		again := strings.Join(cl.Fields[:], " ") + " " + cl.User + " " + cl.Command
		if !withUser {
			again = strings.Join(cl.Fields[:], " ") + " " + cl.Command
		}
		cl2, err := ParseCronLine(again, withUser)
		if err != nil || cl2.Fields != cl.Fields {
			t.Errorf("%q parsed to %+v, but its fields again (%q) give %+v, %v", line, cl, again, cl2, err)
		}
	})
}

func TestCronDInstallListRemove(t *testing.T) {
	h, _, dir := treeHost(t, true)
	if err := os.MkdirAll(filepath.Join(dir, CronDir), 0o755); err != nil {
		t.Fatal(err)
	}
	job := Job{Name: "signin", Plan: "/volume1/plexform/plex-signin.yaml", Exe: "/usr/local/bin/plexform", Every: time.Hour}
	files, err := Cron{}.Install(h, job)
	if err != nil || len(files) != 1 || files[0] != "/etc/cron.d/plexform-signin" {
		t.Fatalf("Install = %v, %v", files, err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, files[0]))
	var cronLines int
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.Contains(line, "=") && !strings.Contains(line, " ") {
			continue
		}
		cronLines++
		if _, err := ParseCronLine(line, true); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	if cronLines != 1 {
		t.Errorf("%d cron lines, want 1:\n%s", cronLines, data)
	}
	if list, err := (Cron{}).List(h); err != nil || len(list) != 1 || list[0].Plan != job.Plan {
		t.Errorf("List = %+v, %v", list, err)
	}
	if _, err := (Cron{}).Remove(h, "signin"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, files[0])); !errors.Is(err, os.ErrNotExist) {
		t.Error("the cron.d file is left")
	}
}

// In a user's crontab only the schedule's two lines go; the owner's own lines stay byte
// for byte, another schedule's too.
func TestDropCronEntryKeepsTheRest(t *testing.T) {
	a, _ := CronEntry(Job{Name: "a", Plan: "/a.yaml", Exe: "/x", Every: time.Hour}, false, 1)
	b, _ := CronEntry(Job{Name: "b", Plan: "/b.yaml", Exe: "/x", Every: time.Hour}, false, 2)
	own := "MAILTO=me\n# my backup\n0 3 * * * /usr/local/bin/backup\n"
	tab := own + a + "30 * * * * /bin/true\n" + b
	got, found := dropCronEntry(tab, "a")
	if !found || got != own+"30 * * * * /bin/true\n"+b {
		t.Errorf("dropCronEntry(a):\n%s", got)
	}
	if _, found := dropCronEntry(own, "a"); found {
		t.Error("found a schedule in a crontab without one")
	}
}
