package service

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// printRunning is launchctl print's output (macOS 14) for a running agent, trimmed.
const printRunning = `gui/501/com.plexapp.plexmediaserver = {
	active count = 1
	path = /Users/a/Library/LaunchAgents/com.plexapp.plexmediaserver.plist
	type = LaunchAgent
	state = running

	program = /Applications/Plex Media Server.app/Contents/MacOS/Plex Media Server
	arguments = {
		/Applications/Plex Media Server.app/Contents/MacOS/Plex Media Server
	}

	domain = gui/501 [100005]
	runs = 1
	pid = 4711
	immediate reason = speculative
	forks = 12
	execs = 1
	endpoints = {
		"com.plexapp.plexmediaserver.helper" = {
			port = 0x3a0b
			active = 0
			state = idle
		}
	}
}
`

var printNotRunning = strings.NewReplacer("state = running", "state = not running", "\tpid = 4711\n", "").Replace(printRunning)

var printSpawnScheduled = strings.Replace(printNotRunning, "state = not running", "state = spawn scheduled", 1)

const (
	plexLabel  = "com.plexapp.plexmediaserver"
	plexTarget = "gui/501/com.plexapp.plexmediaserver"
	plexPlist  = "/Users/a/Library/LaunchAgents/com.plexapp.plexmediaserver.plist"
)

func newPlexLaunchd(run Runner) *Launchd { return NewLaunchd(plexLabel, "gui/501", plexPlist, run) }

func TestLaunchdRunning(t *testing.T) {
	printCmd := []string{"launchctl", "print", plexTarget}
	for name, tc := range map[string]struct {
		step       macStep
		want       bool
		transition bool
		err        bool
	}{
		"running":         {step: macStep{argv: printCmd, out: printRunning}, want: true},
		"not running":     {step: macStep{argv: printCmd, out: printNotRunning}},
		"not loaded":      {step: macStep{argv: printCmd, code: 113}},
		"spawn scheduled": {step: macStep{argv: printCmd, out: printSpawnScheduled}, transition: true},
		"no launchctl":    {step: macStep{argv: printCmd, code: -1}, err: true},
		"other failure":   {step: macStep{argv: printCmd, code: 1}, err: true},
		"odd output":      {step: macStep{argv: printCmd, out: "something else\n"}, err: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := newPlexLaunchd(&macScript{t: t, steps: []macStep{tc.step}}).Running(context.Background())
			if got != tc.want || errors.Is(err, ErrTransitioning) != tc.transition || (err != nil && !tc.transition) != tc.err {
				t.Errorf("Running = %v, %v", got, err)
			}
		})
	}
}

func TestLaunchdCommandLines(t *testing.T) {
	printCmd := []string{"launchctl", "print", plexTarget}
	for _, tc := range []struct {
		name  string
		do    func(*Launchd) error
		steps []macStep
	}{
		{"stop", (*Launchd).stopCtx, []macStep{{argv: []string{"launchctl", "bootout", plexTarget}}}},
		{"stop not loaded", (*Launchd).stopCtx, []macStep{{argv: []string{"launchctl", "bootout", plexTarget}, code: 113}}},
		{"start after bootout", (*Launchd).startCtx, []macStep{
			{argv: printCmd, code: 113},
			{argv: []string{"launchctl", "bootstrap", "gui/501", plexPlist}},
			{argv: []string{"launchctl", "kickstart", plexTarget}},
		}},
		{"start loaded", (*Launchd).startCtx, []macStep{
			{argv: printCmd, out: printNotRunning},
			{argv: []string{"launchctl", "kickstart", plexTarget}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &macScript{t: t, steps: tc.steps}
			if err := tc.do(newPlexLaunchd(run)); err != nil {
				t.Fatal(err)
			}
			run.done()
		})
	}
}

func (l *Launchd) stopCtx() error  { return l.Stop(context.Background()) }
func (l *Launchd) startCtx() error { return l.Start(context.Background()) }

func TestLaunchdSystemDomain(t *testing.T) {
	run := &macScript{t: t, steps: []macStep{
		{argv: []string{"launchctl", "print", "system/com.plexapp.plexmediaserver"}, code: 113},
		{argv: []string{"launchctl", "bootstrap", "system", "/Library/LaunchDaemons/p.plist"}},
		{argv: []string{"launchctl", "kickstart", "system/com.plexapp.plexmediaserver"}},
	}}
	if err := NewLaunchd(plexLabel, "system", "/Library/LaunchDaemons/p.plist", run).Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	run.done()
}

func TestLaunchdStartWithoutPlistCannotLoad(t *testing.T) {
	run := &macScript{t: t, steps: []macStep{{argv: []string{"launchctl", "print", plexTarget}, code: 113}}}
	err := NewLaunchd(plexLabel, "gui/501", "", run).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "plist") {
		t.Errorf("Start = %v; want an error asking for the plist path", err)
	}
	run.done()
}

func TestLaunchdStopFailureIsAnError(t *testing.T) {
	run := &macScript{t: t, steps: []macStep{{argv: []string{"launchctl", "bootout", plexTarget}, code: 5}}}
	err := newPlexLaunchd(run).Stop(context.Background())
	if err == nil || !strings.Contains(err.Error(), plexTarget) {
		t.Errorf("Stop = %v; want an error naming the job", err)
	}
}

// A bootout that gives up waiting for the job to exit (36, "Operation now in progress")
// has stopped it all the same: launchd goes on, and Running waits for the job to leave.
// TestConformanceLaunchd found this; the stop used to fail and abort the apply.
func TestLaunchdStopStillInProgressIsAStop(t *testing.T) {
	run := &macScript{t: t, steps: []macStep{{argv: []string{"launchctl", "bootout", plexTarget}, code: 36}}}
	if err := newPlexLaunchd(run).Stop(context.Background()); err != nil {
		t.Errorf("Stop whose bootout is still in progress = %v; want nil (the caller waits for the job to exit)", err)
	}
}

func FuzzParseLaunchctlPrint(f *testing.F) {
	for _, s := range []string{printRunning, printNotRunning, printSpawnScheduled, "", "\tstate = x\n\tpid = -1\n", "\tpid = 99999999999999999999\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		state, pid, err := parseLaunchctlPrint([]byte(out))
		if err == nil && state == "" {
			t.Errorf("no error and no state for %q", out)
		}
		if err != nil && (state != "" || pid != 0) {
			t.Errorf("error %v with state %q pid %d", err, state, pid)
		}
	})
}
