// Package servicetest is the conformance suite every service manager runs, so that the
// promises of stores.Service hold for each of them in the same words: a stopped service
// reads as stopped and a started one as running, Running never says "stopped" while the
// process is still going down (PMS rewrites its settings then), a stop that does not
// finish in time is reported as a timeout and leaves the process as it was, and a start
// whose program fails is reported (the wait fails, or the service reads as stopped
// again) and, when it failed only once, a second start brings it up.
//
// The suite brings its own program for the manager to run: a small POSIX shell script
// (Program) that records in its directory what really happens to it (running,
// stopping, exited), lingers after SIGTERM when asked, ignores SIGTERM when asked, and
// fails its next start when asked. A manager's package calls Run from its own tests
// with a Harness that makes a service of that manager running the program, against its
// real peer where the machine has one:
//
//	func TestConformance(t *testing.T) { servicetest.Run(t, harness) }
package servicetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
)

// Harness makes services of one manager for the suite.
type Harness struct {
	// New returns a service of the manager, stopped, that runs p.Argv in the foreground
	// when started (an s6 run script's exec, an exec start command that backgrounds it,
	// a container's command...). It takes down whatever it set up when t ends.
	New func(t *testing.T, p Program) stores.Service
	// UpWhileProcessExists is true for a manager that reads a service as running as
	// soon as its process exists (s6-svstat's "up", a container's Running): a program
	// that exits at once may read as running for that moment, so its failed start is
	// seen as the service going back to stopped, not as a failed wait. Only plexform's
	// verify step (the server's own answer) tells such a start from a good one.
	UpWhileProcessExists bool
	// Restarts is true for a supervisor that starts a program again by itself when it
	// exits (s6): a failed start then comes right on its own.
	Restarts bool
	// KillsAfterGrace is true for a manager whose stop kills the program once a grace
	// period is over (the Docker engine's stop timeout): its stop never times out. The
	// harness makes that grace longer than Linger, so a program that saves is not
	// killed, and shorter than StopTimeout, so one that ignores SIGTERM is.
	KillsAfterGrace bool
	// Share, when set, gives a directory of this machine (here) that the manager's peer
	// sees at another path (there): the suite's programs are put under it and run by
	// that path. Nil when the peer sees this machine's files as they are. A peer that
	// boots an init (systemd) must not get this machine's /tmp: it empties its /tmp at
	// boot (tmpfiles.d(5), "D /tmp").
	Share func(t *testing.T) (here, there string)
	// Wait bounds each wait for a state; zero means a minute. It only ends a test whose
	// manager is broken; no test asserts a speed.
	Wait time.Duration
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Wait == 0 {
		h.Wait = time.Minute
	}
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"NewIsStopped", testNewIsStopped},
		{"StartThenStop", testStartThenStop},
		{"StopThatLingersIsNotStopped", testStopThatLingers},
		{"StopThatTimesOut", testStopThatTimesOut},
		{"StartThatFailsOnce", testStartThatFailsOnce},
		{"StartThatAlwaysFails", testStartThatAlwaysFails},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}

// How long the program keeps running after SIGTERM when it saves (as PMS does), and
// how long the suite's stops and failing starts are given before they count as timed
// out. Neither is a speed the suite asserts.
const (
	Linger      = time.Second
	StopTimeout = 3 * time.Second
)

// The program's states, as it writes them to its state file.
const (
	stateRunning  = "running"
	stateStopping = "stopping" // got SIGTERM, saving (lingering) before it exits
	stateStubborn = "stubborn" // got SIGTERM and ignored it
	stateExited   = "exited"   // about to exit after SIGTERM
	stateFailed   = "failed"   // failed its start on purpose
)

// Program is the suite's stand-in for Plex Media Server: a POSIX shell script run with
// its directory as its one argument.
type Program struct {
	// Argv runs the program in the foreground until it is stopped: /bin/sh, the script
	// (inside Dir), Dir, spelled as the manager's peer sees them (Harness.Share). A
	// harness without Share that runs it elsewhere (a container) makes Dir reachable
	// there at the same path.
	Argv []string
	// Dir holds the script and the files through which the suite steers the program and
	// reads what happened to it, on this machine.
	Dir string
}

// script writes its state to $1/state, and obeys these files in $1: linger (seconds to
// keep going after SIGTERM, as PMS does while it saves), stubborn (ignore SIGTERM),
// fail-next (exit 3 at once, once), fail-always (exit 3 at once, every time). Its
// sleep runs in the background and is waited for, so a signal is handled at once, and
// is ended with it, so no process outlives the program.
const script = `#!/bin/sh
d=$1
if [ -e "$d/fail-always" ]; then echo failed >"$d/state"; exit 3; fi
if [ -e "$d/fail-next" ]; then rm -f "$d/fail-next"; echo failed >"$d/state"; exit 3; fi
stop() {
	if [ -e "$d/stubborn" ]; then echo stubborn >"$d/state"; return; fi
	echo stopping >"$d/state"
	if [ -e "$d/linger" ]; then sleep "$(cat "$d/linger")"; fi
	kill "$s" 2>/dev/null
	echo exited >"$d/state"
	exit 0
}
trap stop TERM
echo $$ >"$d/pid"
echo running >"$d/state"
while :; do sleep 1 & s=$!; wait $s; done
`

// NewProgram writes the program into a fresh directory: under t.TempDir(), or under
// here when share is given, to run by the path there. The directory is world readable
// and writable, so a program run as another user (a container's, a unit's User=) can
// write its state.
func NewProgram(t *testing.T, share func(t *testing.T) (here, there string)) Program {
	t.Helper()
	var here, there string
	if share != nil {
		here, there = share(t)
	} else {
		here = t.TempDir()
	}
	dir, err := os.MkdirTemp(here, "svc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "service.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	runAt := dir
	if share != nil {
		runAt = path.Join(there, filepath.Base(dir))
	}
	return Program{Argv: []string{"/bin/sh", path.Join(runAt, "service.sh"), runAt}, Dir: dir}
}

// Set creates the steering file name in the program's directory with content.
func (p Program) Set(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(p.Dir, name), []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}

// Clear removes the steering file name.
func (p Program) Clear(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(p.Dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

// State is what the program last wrote about itself, "" before it first ran.
func (p Program) State(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(p.Dir, "state"))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// fixture is one service of the harness's manager and the program it runs.
type fixture struct {
	h   Harness
	p   Program
	svc stores.Service
}

func newFixture(t *testing.T, h Harness) *fixture {
	t.Helper()
	p := NewProgram(t, h.Share)
	f := &fixture{h: h, p: p, svc: h.New(t, p)}
	if f.svc.Describe() == "" {
		t.Error("Describe is empty: every progress line and error names the service by it")
	}
	// Registered after the harness's own cleanups, so it runs before them: the program
	// is stopped through its manager while the manager is still there. t.Context is
	// over by then.
	t.Cleanup(func() {
		for _, name := range []string{"stubborn", "linger", "fail-always", "fail-next"} {
			_ = os.Remove(filepath.Join(p.Dir, name))
		}
		ctx := context.Background()
		if up, err := f.svc.Running(ctx); err == nil && !up {
			return
		}
		_ = f.svc.Stop(ctx)
		if err := service.WaitFor(ctx, f.svc, false, h.Wait, nil); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return f
}

// move asks for the state and waits for it, each bounded by timeout, as the executor
// does (executor.setState): the command may hang, and the wait may not end.
func (f *fixture) move(up bool, timeout time.Duration) error {
	act, doing := f.svc.Stop, "stop"
	if up {
		act, doing = f.svc.Start, "start"
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	err := act(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return service.WaitFor(context.Background(), f.svc, up, timeout, nil)
}

func (f *fixture) mustMove(t *testing.T, up bool) {
	t.Helper()
	if err := f.move(up, f.h.Wait); err != nil {
		t.Fatal(err)
	}
}

// running reads Running once, failing on an error.
func (f *fixture) running(t *testing.T) bool {
	t.Helper()
	up, err := f.svc.Running(context.Background())
	if err != nil {
		t.Fatalf("Running: %v", err)
	}
	return up
}

// programSays waits for the program to say want. A manager reads a service as running
// once its process exists (s6-svstat's "up", a container's Running), a moment before
// the script has written its state, so a start is checked with this wait; a stop is not:
// the program writes "exited" before it exits.
func (f *fixture) programSays(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(f.h.Wait)
	for st := f.p.State(t); st != want; st = f.p.State(t) {
		if time.Now().After(deadline) {
			t.Fatalf("the program says %q, want %q", st, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testNewIsStopped(t *testing.T, h Harness) {
	f := newFixture(t, h)
	if f.running(t) {
		t.Errorf("a service the harness made stopped reads as running")
	}
	if st := f.p.State(t); st != "" {
		t.Errorf("the program ran before any start: it says %q", st)
	}
}

func testStartThenStop(t *testing.T, h Harness) {
	f := newFixture(t, h)
	f.mustMove(t, true)
	f.programSays(t, stateRunning)
	if !f.running(t) {
		t.Errorf("Running right after the wait for running = false")
	}
	f.mustMove(t, false)
	if st := f.p.State(t); st != stateExited {
		t.Errorf("the service reads as stopped, but the program says %q", st)
	}
	if f.running(t) {
		t.Errorf("Running right after the wait for stopped = true")
	}
	// Started again, it runs again: a stop leaves nothing that keeps the next start off.
	f.mustMove(t, true)
	f.programSays(t, stateRunning)
}

// testStopThatLingers: PMS keeps running for a while after SIGTERM, rewriting its
// settings, and a manager's stop may return at once. Every Running answer until the
// program has really exited must be "running" or a transition, never "stopped".
func testStopThatLingers(t *testing.T, h Harness) {
	f := newFixture(t, h)
	f.p.Set(t, "linger", strconv.Itoa(int(Linger/time.Second)))
	f.mustMove(t, true)
	f.programSays(t, stateRunning) // its TERM trap is set
	ctx, cancel := context.WithTimeout(context.Background(), h.Wait)
	defer cancel()
	if err := f.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(h.Wait)
	for {
		// The state is read before Running: if the program had exited then, it had
		// when Running answered too.
		before := f.p.State(t)
		up, err := f.svc.Running(ctx)
		switch {
		case errors.Is(err, service.ErrTransitioning):
		case err != nil:
			t.Fatalf("Running while the program goes down: %v", err)
		case !up:
			if st := f.p.State(t); st != stateExited {
				t.Fatalf("Running said stopped while the program was still %s (%s before the read)", st, before)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program never read as stopped; it says %q", f.p.State(t))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testStopThatTimesOut: a program that ignores SIGTERM is not stopped in time. That is
// reported as a timeout (the wait's ErrTimeout, or the command's deadline), the service
// does not read as stopped, and the program is left running, not killed behind the
// user's back. A manager that kills after a grace period instead must not report the
// program stopped before it is gone.
func testStopThatTimesOut(t *testing.T, h Harness) {
	f := newFixture(t, h)
	f.p.Set(t, "stubborn", "")
	f.mustMove(t, true)
	f.programSays(t, stateRunning) // its TERM trap is set
	const timeout = StopTimeout
	err := f.move(false, timeout)
	if h.KillsAfterGrace {
		if err != nil {
			t.Fatalf("a stop that kills after its grace period: %v", err)
		}
		if f.running(t) {
			t.Errorf("Running after the stop's kill = true")
		}
		return
	}
	if !errors.Is(err, service.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a stop that did not finish in %s: %v; want a timeout", timeout, err)
	}
	if !strings.Contains(err.Error(), f.svc.Describe()) && !strings.Contains(err.Error(), "deadline") {
		t.Errorf("the timeout %q names neither the service (%s) nor the deadline", err, f.svc.Describe())
	}
	if st := f.p.State(t); st == stateExited {
		t.Errorf("after a stop that timed out, the program had exited")
	}
	if up, err := f.svc.Running(context.Background()); err == nil && !up {
		t.Errorf("after a stop that timed out, the service reads as stopped while the program is %s", f.p.State(t))
	}
}

// testStartThatFailsOnce: the program fails its first start (a port still held, a disk
// still mounting) and works the next time. A supervisor that restarts it comes right by
// itself; any other manager reports the failed start (an error, and stopped), and a
// second start brings it up.
func testStartThatFailsOnce(t *testing.T, h Harness) {
	f := newFixture(t, h)
	f.p.Set(t, "fail-next", "")
	if h.Restarts {
		// The failed try may itself read as running for its moment (see Restarts); the
		// supervisor's next try must bring the program up and keep it read as running.
		f.mustMove(t, true)
		f.programSays(t, stateRunning)
		if err := service.WaitFor(context.Background(), f.svc, true, h.Wait, nil); err != nil {
			t.Fatal(err)
		}
		return
	}
	f.failedStart(t)
	f.mustMove(t, true)
	f.programSays(t, stateRunning)
}

// testStartThatAlwaysFails: a program that exits at once every time is reported as a
// start that failed, and the service ends stopped.
func testStartThatAlwaysFails(t *testing.T, h Harness) {
	if h.Restarts {
		t.Skip("a supervisor that restarts the program shows it up for a moment at each try and never settles on stopped; only plexform's verify step (the server's own answer) tells a crash loop from a start")
	}
	f := newFixture(t, h)
	f.p.Set(t, "fail-always", "")
	f.failedStart(t)
}

// failedStart starts a program that exits at once and checks that this is reported:
// the wait for running fails, or (UpWhileProcessExists) the service reads as stopped
// again once the program has exited; either way it ends stopped, not running.
func (f *fixture) failedStart(t *testing.T) {
	t.Helper()
	err := f.move(true, StopTimeout)
	if err == nil && !f.h.UpWhileProcessExists {
		t.Fatalf("a start whose program exited at once was reported as running (the program says %q)", f.p.State(t))
	}
	f.programSays(t, stateFailed)
	if err := service.WaitFor(context.Background(), f.svc, false, f.h.Wait, nil); err != nil {
		t.Errorf("after its program failed, the service does not read as stopped: %v", err)
	}
}

// Daemon returns three shell commands that drive the program as an init script does,
// for managers that run commands rather than supervise a process (exec): start runs it
// in the background (it writes its own pid file), stop sends it SIGTERM, and status
// exits 0 while it runs and 3 (LSB's "program is not running") when it does not. A
// zombie counts as stopped: the program is an orphan once start's shell exits, and
// whatever reaps orphans here may take its time.
func (p Program) Daemon() (start, stop, status string) {
	d := shellquote.Quote(p.Argv[2])
	pid := `"$(cat ` + d + `/pid 2>/dev/null)"`
	start = shellquote.Quote(p.Argv[0]) + " " + shellquote.Quote(p.Argv[1]) + " " + d + " </dev/null >/dev/null 2>&1 &"
	stop = "kill -TERM " + pid
	status = `pid=` + pid + ` && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || exit 3`
	return start, stop, status
}
