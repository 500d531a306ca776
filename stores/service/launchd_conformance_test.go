//go:build unix

package service_test

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
	"github.com/plexform/plexform/stores/service/servicetest"
)

// TestConformanceLaunchd runs the suite on the launchd manager. launchd exists only on
// macOS, so launchdStandIn plays it and its launchctl for one job, running the suite's
// program as a real child process. Its ExitTimeOut lies between the suite's Linger and
// StopTimeout, so launchd's SIGKILL ends a program that ignores SIGTERM
// (KillsAfterGrace).
func TestConformanceLaunchd(t *testing.T) {
	// A program that exits at once is "running" with its pid for that moment.
	servicetest.Run(t, servicetest.Harness{KillsAfterGrace: true, UpWhileProcessExists: true, New: func(t *testing.T, p servicetest.Program) stores.Service {
		l := &launchdStandIn{argv: p.Argv, exitTimeOut: (servicetest.Linger + servicetest.StopTimeout) / 2, loaded: true}
		svc, err := service.New(service.Config{Manager: "launchd", Unit: "tv.plex.servicetest", Runner: l})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.kill)
		return svc
	}})
}

// launchdStandIn is launchd with one job, loaded and not running to begin with, driven
// by the launchctl verbs the launchd manager uses, as they behave on macOS:
//
//   - `print SERVICE` shows the job's "state = running" and "pid = N" while its process
//     runs, "state = not running" when it is loaded but not running, and exits 113
//     ("Could not find service") once it is not loaded (launchd_test.go's outputs).
//   - `bootout SERVICE` sends SIGTERM and unloads the job once its process has exited;
//     the job stays in the domain while it drains, and launchctl may return before it
//     has, failing with "Boot-out failed: 36: Operation now in progress" although the
//     job does go on to stop (osquery/osquery#5698; pingdotgg/t3code#7874: "bootout can
//     return while a job is still honoring its plist shutdown timeout", so a caller
//     waits for print to show the job gone). launchd sends SIGKILL once the job's
//     ExitTimeOut is over (launchd.plist(5)).
//   - `bootstrap DOMAIN PLIST` loads the job (not started: no RunAtLoad), and
//     `kickstart SERVICE` starts a loaded job that is not running.
//
// How long launchctl waits before giving up with 36 is not documented; the stand-in
// waits bootoutWait.
type launchdStandIn struct {
	argv        []string
	exitTimeOut time.Duration

	mu      sync.Mutex
	loaded  bool
	proc    *exec.Cmd
	exited  chan struct{} // closed when proc has been reaped
	unloadC chan struct{} // closed when a bootout has unloaded the job
}

const bootoutWait = 100 * time.Millisecond

func (l *launchdStandIn) Run(ctx context.Context, argv []string) ([]byte, error) {
	fail := func(code int, msg string) ([]byte, error) {
		return nil, &service.CommandError{Argv: argv, ExitCode: code, Stderr: msg, Err: fmt.Errorf("exit status %d", code)}
	}
	if len(argv) < 3 || argv[0] != "launchctl" {
		return fail(64, fmt.Sprintf("the launchd stand-in runs only launchctl, not %q", argv))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	running := l.proc != nil
	switch argv[1] {
	case "print":
		switch {
		case !l.loaded:
			return fail(113, "Could not find service in domain")
		case running:
			return []byte(fmt.Sprintf("%s = {\n\tstate = running\n\tpid = %d\n}\n", argv[2], l.proc.Process.Pid)), nil
		}
		return []byte(argv[2] + " = {\n\tstate = not running\n}\n"), nil
	case "bootout":
		if !l.loaded {
			return fail(113, "Boot-out failed: 113: Could not find specified service")
		}
		if !running {
			l.loaded = false
			return nil, nil
		}
		_ = l.proc.Process.Signal(syscall.SIGTERM)
		exited := l.exited
		go func() {
			select {
			case <-exited:
			case <-time.After(l.exitTimeOut):
				l.mu.Lock()
				if l.exited == exited {
					_ = l.proc.Process.Kill()
				}
				l.mu.Unlock()
			}
		}()
		if l.unloadC == nil {
			l.unloadC = make(chan struct{})
		}
		unloaded := l.unloadC
		l.mu.Unlock()
		defer l.mu.Lock()
		select {
		case <-unloaded:
			return nil, nil
		case <-time.After(bootoutWait):
			return fail(36, "Boot-out failed: 36: Operation now in progress")
		}
	case "bootstrap":
		if l.loaded {
			return fail(37, "Bootstrap failed: 37: Operation already in progress")
		}
		l.loaded = true
		return nil, nil
	case "kickstart":
		if !l.loaded {
			return fail(113, "Could not find service in domain")
		}
		if running {
			return nil, nil
		}
		return nil, l.start()
	}
	return fail(64, "the launchd stand-in knows no verb "+argv[1])
}

// start runs the job's program and reaps it when it exits; a job that was booted out
// is unloaded then. l.mu is held.
func (l *launchdStandIn) start() error {
	cmd := exec.Command(l.argv[0], l.argv[1:]...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	l.proc, l.exited = cmd, exited
	go func() {
		_ = cmd.Wait()
		l.mu.Lock()
		defer l.mu.Unlock()
		close(exited)
		l.proc, l.exited = nil, nil
		if l.unloadC != nil {
			l.loaded = false
			close(l.unloadC)
			l.unloadC = nil
		}
	}()
	return nil
}

// kill ends a program the test left running.
func (l *launchdStandIn) kill() {
	l.mu.Lock()
	exited := l.exited
	if l.proc != nil {
		_ = l.proc.Process.Kill()
	}
	l.mu.Unlock()
	if exited != nil {
		<-exited
	}
}
