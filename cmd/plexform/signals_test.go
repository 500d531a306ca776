//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hangGuard ends a test whose process never does what it waits for; it is no speed
// assertion, only a bound on a broken test.
const hangGuard = time.Minute

const signedInPrefs = `<Preferences PlexOnlineToken="tok-SECRET-998877" FriendlyName="den"/>` + "\n"

// execHost is a host whose "server" is a file: up while it exists. stopDelay makes the
// stop (and so a rollback) take a while.
func execHost(t *testing.T, verifyURL string, stopDelay string) (dir, planFile string) {
	t.Helper()
	dir = t.TempDir()
	for name, content := range map[string]string{"Preferences.xml": signedInPrefs, "up": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	planFile = filepath.Join(dir, "reset.yaml")
	yaml := fmt.Sprintf(`version: 1
backups: {dir: backups}
resources:
  - {name: prefs, kind: xml_attributes, path: Preferences.xml, absent: [PlexOnlineToken], service: plex}
  - name: plex
    kind: service
    manager: exec
    start: [sh, -c, 'touch %[1]s/up']
    stop: [sh, -c, 'sleep %[2]s; rm -f %[1]s/up']
    status: [sh, -c, 'test -f %[1]s/up']
    timeout: 20s
`, dir, stopDelay)
	if verifyURL != "" {
		yaml += fmt.Sprintf("verify:\n  - http: {url: %q, status: 200, timeout: 50s}\n", verifyURL)
	}
	if err := os.WriteFile(planFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, planFile
}

// deadURL is a loopback address nothing listens on: a verify against it waits out its
// timeout, which leaves time to send a signal.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/identity"
}

// output collects a process's output and lets a test wait for a line.
type output struct {
	mu   sync.Mutex
	text strings.Builder
	more chan struct{}
}

func collect(r io.Reader) *output {
	o := &output{more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewReader(r)
		buf := make([]byte, 4096)
		for {
			n, err := sc.Read(buf)
			o.mu.Lock()
			o.text.Write(buf[:n])
			o.mu.Unlock()
			select {
			case o.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return o
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.text.String()
}

func (o *output) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(hangGuard)
	for !strings.Contains(o.String(), s) {
		select {
		case <-o.more:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %q in the output:\n%s", s, o.String())
		}
	}
}

func waitExit(t *testing.T, cmd *exec.Cmd, out *output) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(hangGuard):
		_ = cmd.Process.Kill()
		t.Fatalf("plexform did not end:\n%s", out.String())
	}
	return cmd.ProcessState.ExitCode()
}

func startApply(t *testing.T, bin, planFile string) (*exec.Cmd, *output) {
	t.Helper()
	cmd := exec.Command(bin, "apply", "-auto-approve", "-f", planFile)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return cmd, collect(r)
}

func assertAsBefore(t *testing.T, dir string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, "Preferences.xml"))
	if err != nil || string(got) != signedInPrefs {
		t.Errorf("Preferences.xml is not as before the apply (%v):\n%s", err, got)
	}
	if _, err := os.Stat(filepath.Join(dir, "up")); err != nil {
		t.Error("the server is not running again after the rollback")
	}
	if _, err := os.Stat(filepath.Join(dir, "backups", "journal.json")); !os.IsNotExist(err) {
		t.Errorf("a rolled-back apply left its journal: %v", err)
	}
}

// SIGHUP (an ssh session dropping) and SIGTERM during an apply roll it back, and the
// report names the signal, not the step it cut off.
func TestSignalDuringApplyRollsBack(t *testing.T) {
	bin := buildPlexform(t)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir, planFile := execHost(t, deadURL(t), "0")
			cmd, out := startApply(t, bin, planFile)
			out.waitFor(t, "plex started")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := waitExit(t, cmd, out); code != exitError {
				t.Errorf("exit %d, want %d (rolled back):\n%s", code, exitError, out.String())
			}
			text := out.String()
			for _, want := range []string{"interrupted by", "Rolling back", "Restored"} {
				if !strings.Contains(text, want) {
					t.Errorf("output lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "no good answer within") && !strings.Contains(text, "interrupted by") {
				t.Errorf("the report blames the verify timeout, not the signal:\n%s", text)
			}
			if strings.Contains(text, "tok-SECRET") {
				t.Fatal("a token was printed")
			}
			assertAsBefore(t, dir)
		})
	}
}

// A second Ctrl-C while the rollback runs is told to wait; the rollback finishes.
func TestSecondInterruptWhileRollingBackIsToldToWait(t *testing.T) {
	bin := buildPlexform(t)
	dir, planFile := execHost(t, deadURL(t), "2")
	cmd, out := startApply(t, bin, planFile)
	out.waitFor(t, "plex started")
	_ = cmd.Process.Signal(syscall.SIGINT)
	out.waitFor(t, "Rolling back")
	_ = cmd.Process.Signal(syscall.SIGINT)
	out.waitFor(t, "wait for it to finish")
	if code := waitExit(t, cmd, out); code != exitError {
		t.Errorf("exit %d, want %d:\n%s", code, exitError, out.String())
	}
	assertAsBefore(t, dir)
}

// A closed stdout (`plexform apply | head -1`) does not stop the run half way.
func TestClosedStdoutDoesNotStopApply(t *testing.T) {
	bin := buildPlexform(t)
	dir, planFile := execHost(t, "", "0")
	cmd := exec.Command(bin, "apply", "-auto-approve", "-f", planFile)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	r.Close() // nobody reads: every write gets EPIPE (and SIGPIPE, which plexform ignores)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if code := waitExit(t, cmd, &output{}); code != exitOK {
		t.Fatalf("apply with a closed stdout exited %d (%v)", code, cmd.ProcessState)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "Preferences.xml"))
	if strings.Contains(string(got), "PlexOnlineToken") {
		t.Error("the apply did not finish its write")
	}
	if _, err := os.Stat(filepath.Join(dir, "up")); err != nil {
		t.Error("the server was left stopped")
	}
}

// openPTY opens a pseudo-terminal pair, for a test that needs plexform on a terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// Ctrl-C at the "Enter a value:" prompt cancels at once, without waiting for Enter.
func TestCtrlCAtThePromptCancelsAtOnce(t *testing.T) {
	bin := buildPlexform(t)
	dir, planFile := execHost(t, "", "0")
	master, slave := openPTY(t)
	cmd := exec.Command(bin, "apply", "-f", planFile)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := collect(master)
	out.waitFor(t, "Enter a value:")
	if _, err := master.Write([]byte{0x03}); err != nil { // the terminal turns ^C into SIGINT
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, out); code != exitError {
		t.Errorf("exit %d, want %d:\n%s", code, exitError, out.String())
	}
	out.waitFor(t, "Apply cancelled. Nothing was changed.")
	got, _ := os.ReadFile(filepath.Join(dir, "Preferences.xml"))
	if string(got) != signedInPrefs {
		t.Error("a cancelled apply changed Preferences.xml")
	}
	if _, err := os.Stat(filepath.Join(dir, "backups")); !os.IsNotExist(err) {
		t.Errorf("a cancelled apply left a backups dir: %v", err)
	}
}
