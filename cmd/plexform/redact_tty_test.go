//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a real pseudo-terminal pair: what a user's shell gives redact.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the pty's terminal side: %v", err)
	}
	return master, slave
}

// runOnTTY runs plexform with stdout on a terminal and returns what the terminal got
// (without the \r the line discipline adds) and stderr.
func runOnTTY(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	master, slave := openPTY(t)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends in EIO once the terminal side is closed
		got <- b
	}()
	var stderr bytes.Buffer
	code := run(args, &cliEnv{stdin: strings.NewReader(""), stdout: slave, stderr: &stderr, getenv: func(string) (string, bool) { return "", false }})
	slave.Close()
	return code, strings.ReplaceAll(string(<-got), "\r\n", "\n"), stderr.String()
}

// On a terminal a binary plist is shown as an XML plist; through a pipe it stays binary.
func TestRedactBinaryPlistOnTerminal(t *testing.T) {
	in, err := filepath.Abs("../../stores/plist/testdata/prefs.binary.plist")
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runOnTTY(t, "redact", in)
	if code != exitOK {
		t.Fatalf("redact on a terminal: exit %d\n%s", code, stderr)
	}
	if !strings.HasPrefix(out, "<?xml") || !strings.Contains(out, "<key>PlexOnlineToken</key>\n\t\t<string>REDACTED-PlexOnlineToken</string>") {
		t.Errorf("the terminal did not get an XML plist:\n%.600s", out)
	}
	if strings.Contains(out, "fake-token-Zx9qW3rT5yU7iO1pA") {
		t.Errorf("the terminal got the token")
	}
	if !strings.Contains(stderr, "Shown as text") {
		t.Errorf("stderr does not say the copy is shown as text:\n%s", stderr)
	}

	var piped, pipedErr bytes.Buffer
	if code := run([]string{"redact", in}, &cliEnv{stdin: strings.NewReader(""), stdout: &piped, stderr: &pipedErr, getenv: func(string) (string, bool) { return "", false }}); code != exitOK {
		t.Fatalf("redact to a pipe: exit %d\n%s", code, pipedErr.String())
	}
	if !bytes.HasPrefix(piped.Bytes(), []byte("bplist00")) || strings.Contains(pipedErr.String(), "Shown as text") {
		t.Errorf("redact to a pipe did not write the binary plist as it is")
	}
}
