package service

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// macStep is one command a macOS manager is expected to run, and its answer.
type macStep struct {
	argv []string
	out  string
	code int // exit status; 0 succeeds, -1 means the command did not run
}

// macScript checks that the commands come exactly in the scripted order, argv for argv
// (app names hold spaces, so joined strings would hide a wrong split).
type macScript struct {
	t     *testing.T
	steps []macStep
}

func (s *macScript) Run(_ context.Context, argv []string) ([]byte, error) {
	s.t.Helper()
	if len(s.steps) == 0 {
		s.t.Fatalf("unexpected command %q", argv)
	}
	step := s.steps[0]
	s.steps = s.steps[1:]
	if d := cmp.Diff(step.argv, argv); d != "" {
		s.t.Fatalf("argv (-want +got):\n%s", d)
	}
	switch step.code {
	case 0:
		return []byte(step.out), nil
	case -1:
		return nil, &CommandError{Argv: argv, ExitCode: -1, Err: exec.ErrNotFound}
	}
	return []byte(step.out), &CommandError{Argv: argv, ExitCode: step.code, Err: fmt.Errorf("exit status %d", step.code)}
}

func (s *macScript) done() {
	s.t.Helper()
	if len(s.steps) > 0 {
		s.t.Errorf("commands not run: %v", s.steps)
	}
}

const plexPattern = `Plex Media Server\.app/Contents/MacOS/Plex Media Server( |$)`

func TestMacAppCommandLines(t *testing.T) {
	pgrep := []string{"pgrep", "-f", plexPattern}
	for _, tc := range []struct {
		name  string
		do    func(*MacApp) error
		steps []macStep
	}{
		{"stop running", (*MacApp).stopCtx, []macStep{
			{argv: pgrep},
			{argv: []string{"osascript", "-e", `tell application "Plex Media Server" to quit`}},
		}},
		{"stop already stopped", (*MacApp).stopCtx, []macStep{{argv: pgrep, code: 1}}},
		{"start", (*MacApp).startCtx, []macStep{{argv: []string{"open", "-a", "Plex Media Server"}}}},
		{"force", (*MacApp).forceCtx, []macStep{{argv: []string{"pkill", "-TERM", "-f", plexPattern}}}},
		{"force when gone", (*MacApp).forceCtx, []macStep{{argv: []string{"pkill", "-TERM", "-f", plexPattern}, code: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &macScript{t: t, steps: tc.steps}
			if err := tc.do(NewMacApp("Plex Media Server", run)); err != nil {
				t.Fatal(err)
			}
			run.done()
		})
	}
}

func (a *MacApp) stopCtx() error  { return a.Stop(context.Background()) }
func (a *MacApp) startCtx() error { return a.Start(context.Background()) }
func (a *MacApp) forceCtx() error { return a.ForceStop(context.Background()) }

func TestMacAppRunning(t *testing.T) {
	pgrep := []string{"pgrep", "-f", plexPattern}
	for _, tc := range []struct {
		code    int
		want    bool
		wantErr bool
	}{{0, true, false}, {1, false, false}, {2, false, true}, {-1, false, true}} {
		run := &macScript{t: t, steps: []macStep{{argv: pgrep, code: tc.code}}}
		got, err := NewMacApp("Plex Media Server", run).Running(context.Background())
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("pgrep exit %d: Running = %v, %v; want %v, error %v", tc.code, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestMacAppQuitFailureIsAnError(t *testing.T) {
	run := &macScript{t: t, steps: []macStep{
		{argv: []string{"pgrep", "-f", plexPattern}},
		{argv: []string{"osascript", "-e", `tell application "Plex Media Server" to quit`}, code: 1},
	}}
	err := NewMacApp("Plex Media Server", run).Stop(context.Background())
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 1 {
		t.Errorf("Stop error = %v; want the osascript failure", err)
	}
}

func TestMacAppPatternMatchesOnlyTheMainExecutable(t *testing.T) {
	// pgrep -f uses POSIX extended regular expressions; this one is also valid RE2.
	re := regexp.MustCompile(NewMacApp("Plex Media Server", nil).processPattern())
	for cmdline, want := range map[string]bool{
		"/Applications/Plex Media Server.app/Contents/MacOS/Plex Media Server":         true,
		"/Users/a/Apps/Plex Media Server.app/Contents/MacOS/Plex Media Server --flag":  true,
		"/Applications/Plex Media Server.app/Contents/MacOS/Plex Media Scanner --scan": false,
		"/Applications/Plex Media Server.app/Contents/MacOS/Plex Transcoder -i x":      false,
		"tail -f /Users/a/Library/Logs/Plex Media Server/Plex Media Server.log":        false,
	} {
		if re.MatchString(cmdline) != want {
			t.Errorf("%q: match %v; want %v", cmdline, !want, want)
		}
	}
}

func TestAppleScriptEscape(t *testing.T) {
	run := &macScript{t: t, steps: []macStep{
		{argv: []string{"pgrep", "-f", `My "Odd" \\App\.app/Contents/MacOS/My "Odd" \\App( |$)`}},
		{argv: []string{"osascript", "-e", `tell application "My \"Odd\" \\App" to quit`}},
	}}
	if err := NewMacApp(`My "Odd" \App`, run).Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	run.done()
}
