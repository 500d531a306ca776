package service

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeWindowsApp is a WindowsApp over a pretend process table.
func fakeWindowsApp(up *bool, r *fakeRunner) (*WindowsApp, *[]string) {
	w := NewWindowsApp(r)
	var launched []string
	w.running = func(image string) (bool, error) { return *up, nil }
	w.folder = func() (string, error) { return `C:\Program Files\Plex\Plex Media Server`, nil }
	w.launch = func(exe string) error { launched = append(launched, exe); *up = true; return nil }
	return w, &launched
}

func TestWindowsAppStopIsGracefulThenForced(t *testing.T) {
	up := true
	r := &fakeRunner{}
	w, _ := fakeWindowsApp(&up, r)
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.ForceStop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"taskkill /im Plex Media Server.exe", "taskkill /im Plex Media Server.exe /f"}
	if strings.Join(r.calls, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q, want %q", r.calls, want)
	}
}

func TestWindowsAppStopOfGoneProcessIsDone(t *testing.T) {
	up := false
	line := "taskkill /im Plex Media Server.exe"
	r := &fakeRunner{answers: map[string]fakeAnswer{line: {err: exit(line, 128, "not found")}}}
	w, _ := fakeWindowsApp(&up, r)
	if err := w.Stop(context.Background()); err != nil {
		t.Errorf("stop of a stopped app: %v", err)
	}
	up = true // taskkill failed and it still runs: that is an error
	if err := w.Stop(context.Background()); err == nil || !strings.Contains(err.Error(), "session") {
		t.Errorf("failed taskkill of a running app: %v; want an error that says to run in Plex's session", err)
	}
}

func TestWindowsAppStartRunsInstalledExe(t *testing.T) {
	up := false
	w, launched := fakeWindowsApp(&up, &fakeRunner{})
	if err := WaitFor(context.Background(), w, false, time.Second, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(`C:\Program Files\Plex\Plex Media Server`, PlexImage)
	if len(*launched) != 1 || (*launched)[0] != want {
		t.Errorf("launched %q, want %q", *launched, want)
	}
	w.folder = func() (string, error) { return "", errors.New("not installed") }
	if err := w.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "InstallFolder") {
		t.Errorf("error %v should name InstallFolder", err)
	}
}

// A relative InstallFolder would start an exe from plexform's working directory: it is
// refused before anything is launched.
func TestWindowsAppStartRefusesRelativeInstallFolder(t *testing.T) {
	for _, dir := range []string{"", "Plex Media Server", `.\Plex`, `C:Plex`, `\Plex`, "%ProgramFiles%\\Plex"} {
		up := false
		w, launched := fakeWindowsApp(&up, &fakeRunner{})
		w.folder = func() (string, error) { return dir, nil }
		err := w.Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), "not a full path") {
			t.Errorf("InstallFolder %q: Start = %v, want a 'not a full path' error", dir, err)
		}
		if len(*launched) != 0 {
			t.Errorf("InstallFolder %q: launched %q", dir, *launched)
		}
	}
	for _, dir := range []string{`C:\Program Files\Plex\Plex Media Server`, `d:/Plex`, `C:\`, `\\nas\apps\Plex`} {
		up := false
		w, launched := fakeWindowsApp(&up, &fakeRunner{})
		w.folder = func() (string, error) { return dir, nil }
		if err := w.Start(context.Background()); err != nil || len(*launched) != 1 {
			t.Errorf("InstallFolder %q: Start = %v, launched %q; want one launch", dir, err, *launched)
		}
	}
}
