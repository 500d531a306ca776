//go:build unix

package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/internal/testtool"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
)

// simFiles are the paths one simulated server uses.
type simFiles struct {
	prefs, addr string
}

const signedIn = `<?xml version="1.0" encoding="utf-8"?>
<Preferences ProcessedMachineIdentifier="pm-1" PlexOnlineToken="tok-secret-1" PlexOnlineUsername="alice"/>
`

func newSimFiles(tb testing.TB, dir string) simFiles {
	tb.Helper()
	f := simFiles{prefs: filepath.Join(dir, "Preferences.xml"), addr: filepath.Join(dir, "addr")}
	if err := os.WriteFile(f.prefs, []byte(signedIn), 0o600); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f simFiles) args(bin string) []string {
	return []string{bin, "-prefs", f.prefs, "-listen", "127.0.0.1:0", "-addr-file", f.addr}
}

// editWhileRunning removes the token from the file behind the running server's back.
func (f simFiles) editWhileRunning(tb testing.TB) {
	tb.Helper()
	data, err := os.ReadFile(f.prefs)
	if err != nil {
		tb.Fatal(err)
	}
	edited := strings.Replace(string(data), ` PlexOnlineToken="tok-secret-1"`, "", 1)
	if edited == string(data) {
		tb.Fatal("the token was not in the file before the edit")
	}
	if err := os.WriteFile(f.prefs, []byte(edited), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// checkRewritten checks that the stopped server wrote its settings back, undoing the edit.
func (f simFiles) checkRewritten(tb testing.TB) {
	tb.Helper()
	data, err := os.ReadFile(f.prefs)
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.Contains(string(data), `PlexOnlineToken="tok-secret-1"`) || !strings.HasPrefix(string(data), `<?xml version="1.0" encoding="utf-8"?>`) {
		tb.Errorf("the server did not rewrite Preferences.xml on stop; the file has %d bytes", len(data))
	}
	if _, err := os.Stat(f.addr); !errors.Is(err, os.ErrNotExist) {
		tb.Errorf("the address file outlived the server: %v", err)
	}
}

func (f simFiles) checkIdentity(tb testing.TB) {
	tb.Helper()
	id, err := plexsimtest.GetIdentity(plexsimtest.WaitAddr(tb, f.addr))
	if err != nil || id.Claimed != "1" || id.MachineIdentifier != "pm-1" {
		tb.Fatalf("identity: %+v, %v", id, err)
	}
}

const waitLimit = time.Minute // only so a broken test ends; never a speed assertion

// supervise runs s6-supervise on a fresh service directory that execs the simulator,
// and takes it all down when the test ends.
func supervise(tb testing.TB) (*S6, simFiles) {
	tb.Helper()
	bin := plexsimtest.Build(tb)
	dir := tb.TempDir()
	files := newSimFiles(tb, dir)
	svcDir := filepath.Join(dir, "svc-plex")
	plexsimtest.Supervise(tb, svcDir, files.args(bin))
	svc := NewS6(svcDir, OSRunner{})
	// The supervisor starts the service by itself; its status is readable once the
	// server has written its address.
	plexsimtest.WaitAddr(tb, files.addr)
	return svc, files
}

func TestS6WithSimulator(t *testing.T) {
	svc, files := supervise(t)
	ctx := context.Background()

	if up, err := svc.Running(ctx); err != nil || !up {
		t.Fatalf("Running after the supervisor started it: %v, %v", up, err)
	}
	files.checkIdentity(t)

	files.editWhileRunning(t)
	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, svc, false, waitLimit, nil); err != nil {
		t.Fatal(err)
	}
	files.checkRewritten(t)

	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, svc, true, waitLimit, nil); err != nil {
		t.Fatal(err)
	}
	files.checkIdentity(t)
}

func TestS6UnsupervisedDirIsAnError(t *testing.T) {
	testtool.Require(t, "s6-svstat", "s6")
	svc := NewS6(t.TempDir(), OSRunner{})
	_, err := svc.Running(context.Background())
	if err == nil || errors.Is(err, ErrTransitioning) || !strings.Contains(err.Error(), "s6-svstat") {
		t.Errorf("Running on a directory no supervisor watches: %v", err)
	}
	if err := svc.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "s6-svc -u") {
		t.Errorf("Start on a directory no supervisor watches: %v", err)
	}
}

func TestExecWithSimulator(t *testing.T) {
	bin := plexsimtest.Build(t)
	dir := t.TempDir()
	files := newSimFiles(t, dir)
	pidFile := filepath.Join(dir, "pid")
	// The start command backgrounds the server like an init script would; status treats
	// a zombie as stopped, since an orphan may wait a while to be reaped.
	start := []string{"sh", "-c", shellquote.Join(files.args(bin)) + ` >/dev/null 2>&1 & echo $! >"$0"`, pidFile}
	stop := []string{"sh", "-c", `kill -TERM "$(cat "$0")"`, pidFile}
	status := []string{"sh", "-c", `pid=$(cat "$0" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"`, pidFile}
	svc, err := NewExec(start, stop, status, OSRunner{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() {
		if up, _ := svc.Running(ctx); up {
			_ = svc.Stop(ctx)
			_ = WaitFor(ctx, svc, false, waitLimit, nil)
		}
	})

	if up, err := svc.Running(ctx); err != nil || up {
		t.Fatalf("Running before start: %v, %v", up, err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, svc, true, waitLimit, nil); err != nil {
		t.Fatal(err)
	}
	files.checkIdentity(t)
	files.editWhileRunning(t)
	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, svc, false, waitLimit, nil); err != nil {
		t.Fatal(err)
	}
	files.checkRewritten(t)
}

func TestExecStatusThatCannotRunIsAnError(t *testing.T) {
	svc, err := NewExec([]string{"true"}, []string{"true"}, []string{filepath.Join(t.TempDir(), "no-such-status")}, OSRunner{})
	if err != nil {
		t.Fatal(err)
	}
	if up, err := svc.Running(context.Background()); err == nil || up {
		t.Errorf("Running with a missing status command = %v, %v; want an error, not stopped", up, err)
	}
}

func TestOSRunner(t *testing.T) {
	ctx := context.Background()
	out, err := OSRunner{}.Run(ctx, []string{"sh", "-c", "echo state; echo 'it broke' >&2; exit 3"})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 3 || ce.Stderr != "it broke" || string(out) != "state\n" {
		t.Fatalf("Run = %q, %#v", out, err)
	}
	if msg := err.Error(); !strings.Contains(msg, `command sh -c "echo state; echo 'it broke' >&2; exit 3"`) || !strings.Contains(msg, "it broke") {
		t.Errorf("error message %q lacks the command line or its stderr", msg)
	}

	// A start command that leaves a daemon holding its output open still returns, as
	// a success.
	pidFile := filepath.Join(t.TempDir(), "pid")
	_, err = OSRunner{}.Run(ctx, []string{"sh", "-c", `sleep 60 & echo $! >"$0"`, pidFile})
	if data, rerr := os.ReadFile(pidFile); rerr == nil {
		var pid int
		if _, serr := fmt.Sscan(string(data), &pid); serr == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err != nil {
		t.Errorf("daemonizing command: %v", err)
	}
}

func BenchmarkS6StopStart(b *testing.B) {
	svc, _ := supervise(b)
	ctx := context.Background()
	for b.Loop() {
		if err := svc.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		if err := WaitFor(ctx, svc, false, waitLimit, nil); err != nil {
			b.Fatal(err)
		}
		if err := svc.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if err := WaitFor(ctx, svc, true, waitLimit, nil); err != nil {
			b.Fatal(err)
		}
	}
}
