//go:build unix

package plexsimtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/internal/testtool"
)

// superviseLimit bounds the teardown's waits, only so that a broken test ends.
const superviseLimit = time.Minute

// Supervise runs argv under a real s6-supervise watching svcDir, as Plex's Docker images
// run PMS, and takes both down when the test ends: the server through s6 (so its
// supervisor reaps it; PID 1 here may not), then the supervisor, then anything left in
// its process group. It returns once the supervisor has started.
func Supervise(tb testing.TB, svcDir string, argv []string) {
	tb.Helper()
	for _, tool := range []string{"s6-supervise", "s6-svc", "s6-svstat"} {
		testtool.Require(tb, tool, "s6")
	}
	if err := os.MkdirAll(svcDir, 0o755); err != nil {
		tb.Fatal(err)
	}
	run := "#!/bin/sh\nexec " + shellquote.Join(argv) + " 2>&1\n"
	if err := os.WriteFile(filepath.Join(svcDir, "run"), []byte(run), 0o755); err != nil {
		tb.Fatal(err)
	}
	// nosetsid keeps the server in the supervisor's process group, so the teardown can
	// reach both with one signal whatever state the test left them in.
	if err := os.WriteFile(filepath.Join(svcDir, "nosetsid"), nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	sup := exec.Command("s6-supervise", svcDir)
	sup.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sup.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = exec.Command("s6-svc", "-wD", "-T", "60000", "-d", svcDir).Run()
		_ = sup.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- sup.Wait() }()
		select {
		case <-done:
		case <-time.After(superviseLimit):
			tb.Errorf("s6-supervise ignored SIGTERM; killing its process group")
			_ = syscall.Kill(-sup.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if err := syscall.Kill(-sup.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
			tb.Errorf("processes left in the supervisor's group: %v", err)
			_ = syscall.Kill(-sup.Process.Pid, syscall.SIGKILL)
		}
	})
}
