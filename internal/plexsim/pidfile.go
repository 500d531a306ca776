package plexsim

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/plexform/plexform/internal/childenv"
	"github.com/plexform/plexform/stores/fileutil"
)

// A pidfile supervisor, the way an init script runs a daemon: start records the pid,
// stop signals it, status asks whether it runs. The demo's plan drives the simulator
// with the exec manager through these, so it needs no shell and no init system.

// StartPidfile starts argv in the background and records its pid in pidFile; it returns
// as soon as the program runs.
func StartPidfile(pidFile string, argv []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	childenv.Apply(cmd)
	// No stdin/stdout/stderr: the program must hold no pipe of whoever started it, or
	// the caller would wait for it to exit.
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", argv[0], err)
	}
	if err := fileutil.WritePrivate(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n")); err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	return cmd.Process.Release()
}

// StopPidfile sends SIGTERM to the recorded pid; a program that is not running counts
// as stopped.
func StopPidfile(pidFile string) error {
	pid, err := readPid(pidFile)
	if err != nil || !alive(pid) {
		return nil
	}
	p, err := os.FindProcess(pid)
	if err == nil {
		err = p.Signal(syscall.SIGTERM)
	}
	if err != nil && alive(pid) {
		return fmt.Errorf("stop pid %d from %s: %w", pid, pidFile, err)
	}
	return nil
}

// PidfileAlive reports whether the recorded pid runs, as the exec manager's status
// command must: a missing or unreadable pid file means stopped.
func PidfileAlive(pidFile string) bool {
	pid, err := readPid(pidFile)
	return err == nil && alive(pid)
}

// StopAndWait stops the recorded pid and waits, at most wait, until it no longer runs.
func StopAndWait(pidFile string, wait time.Duration) error {
	if !PidfileAlive(pidFile) {
		return nil
	}
	if err := StopPidfile(pidFile); err != nil {
		return err
	}
	return WaitUntil(func() bool { return !PidfileAlive(pidFile) }, "the simulated server to stop", wait)
}

// WaitUntil polls done, backing off to 200ms, and gives up after wait, naming what it
// waited for.
func WaitUntil(done func() bool, what string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for delay := 5 * time.Millisecond; !done(); delay = min(2*delay, 200*time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up waiting for %s after %s", what, wait)
		}
		time.Sleep(delay)
	}
	return nil
}

func readPid(pidFile string) (int, error) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s does not hold a pid", pidFile)
	}
	return pid, nil
}

// alive reports whether pid runs. An exited program whose parent has not reaped it yet
// (a zombie; the pidfile-start process that was its parent is long gone, and not every
// init reaps at once) no longer runs.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return false
	}
	return !isZombie(pid)
}

// isZombie reads the process state from /proc where there is one (Linux).
func isZombie(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state is the first field after the command name, which is in parentheses and
	// may itself contain spaces and parentheses.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return false
	}
	fields := strings.Fields(string(data[i+1:]))
	return len(fields) > 0 && slices.Contains([]string{"Z", "X"}, fields[0])
}
