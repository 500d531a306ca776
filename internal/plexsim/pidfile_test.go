//go:build unix

package plexsim

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// An exited child nobody has reaped yet still answers signal 0; the status command
// must call it stopped, or a stop would wait for it forever where init reaps late.
func TestAliveCallsAZombieStopped(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("zombies are read from /proc")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	deadline := time.Now().Add(time.Minute) // only so a broken test ends
	for !isZombie(pid) {
		if time.Now().After(deadline) {
			t.Fatal("the child never exited")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if alive(pid) {
		t.Error("alive() says an exited, unreaped child runs")
	}
	_ = cmd.Wait()

	self := os.Getpid()
	if !alive(self) {
		t.Error("alive() says this test process does not run")
	}
}

// A pid file that is not there is a program that does not run, and stopping it is done.
func TestPidfileMissingIsStopped(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "none.pid")
	if PidfileAlive(pidFile) {
		t.Error("a missing pid file counts as running")
	}
	if err := StopAndWait(pidFile, time.Second); err != nil {
		t.Errorf("stop of nothing: %v", err)
	}
}

// StartPidfile records a pid that runs, and StopAndWait ends it.
func TestPidfileStartStop(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	pidFile := filepath.Join(t.TempDir(), "sleep.pid")
	if err := StartPidfile(pidFile, []string{sleep, "60"}); err != nil {
		t.Fatal(err)
	}
	if !PidfileAlive(pidFile) {
		t.Fatal("the started program does not run")
	}
	if err := StopAndWait(pidFile, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if PidfileAlive(pidFile) {
		t.Error("the program still runs after StopAndWait")
	}
	if _, err := os.Stat(pidFile); err != nil {
		t.Errorf("the pid file: %v", err)
	}
}
