//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runOnTTY runs plexform with stdout on a terminal and returns what the terminal got
// (without the \r the line discipline adds) and stderr.
func runOnTTY(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runTTY(t, false, nil, args...)
}

// runTTY runs plexform with stdout, or with errOnTTY stderr, on a real terminal and the
// other in a buffer; env is the environment it sees.
func runTTY(t *testing.T, errOnTTY bool, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	master, slave := openPTY(t)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master) // ends in EIO once the terminal side is closed
		got <- b
	}()
	var buf bytes.Buffer
	e := &cliEnv{stdin: strings.NewReader(""), stdout: slave, stderr: &buf, getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if errOnTTY {
		e.stdout, e.stderr = &buf, slave
	}
	code = run(args, e)
	slave.Close()
	tty := strings.ReplaceAll(string(<-got), "\r\n", "\n")
	if errOnTTY {
		return code, buf.String(), tty
	}
	return code, tty, buf.String()
}

// On a terminal "Error:" is bold red, as Terraform prints it; never with NO_COLOR or
// -no-color, and never when stderr is not a terminal.
func TestErrorLabelColouredOnTerminal(t *testing.T) {
	args := []string{"plan", "-f", filepath.Join(t.TempDir(), "missing.yaml")}
	if _, _, stderr := runTTY(t, true, nil, args...); !strings.Contains(stderr, "\x1b[1;31mError:\x1b[0m no plan file") {
		t.Errorf("stderr on a terminal: %q", stderr)
	}
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
	}{
		"NO_COLOR":  {map[string]string{"NO_COLOR": ""}, args},
		"-no-color": {nil, append([]string{"plan", "-no-color"}, args[1:]...)},
	} {
		_, _, stderr := runTTY(t, true, c.env, c.args...)
		if strings.Contains(stderr, "\x1b[") || !strings.HasPrefix(stderr, "Error: no plan file") {
			t.Errorf("%s: stderr on a terminal: %q", name, stderr)
		}
	}
	var buf bytes.Buffer
	run(args, &cliEnv{stdin: strings.NewReader(""), stdout: &buf, stderr: &buf, getenv: func(string) (string, bool) { return "", false }})
	if strings.Contains(buf.String(), "\x1b[") || !strings.Contains(buf.String(), "Error: no plan file") {
		t.Errorf("colour codes without a terminal: %q", buf.String())
	}
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

// Every "Error:" and "Warning:" a command prints is painted on a terminal, not only the
// ones that go through fail: the refusal to ask without a terminal, and an apply that
// failed and was rolled back.
func TestApplyErrorsColouredOnTerminal(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Preferences.xml"), []byte(signedInPrefs), 0o600); err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(dir, "reset.yaml")
	yaml := `version: 1
backups: {dir: backups}
resources:
  - {name: prefs, kind: xml_attributes, path: Preferences.xml, absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, manager: exec, start: ["false"], stop: ["true"], status: ["false"], timeout: 5s}
`
	if err := os.WriteFile(planFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	const red = "\x1b[1;31mError:\x1b[0m "
	_, _, stderr := runTTY(t, true, nil, "apply", "-f", planFile)
	if !strings.Contains(stderr, red+"apply asks for confirmation") {
		t.Errorf("refusal to ask, stderr on a terminal: %q", stderr)
	}
	code, _, stderr := runTTY(t, true, nil, "apply", "-auto-approve", "-f", planFile)
	if code != exitError || !strings.Contains(stderr, red) || !strings.Contains(stderr, "rolled back") {
		t.Errorf("failed apply: exit %d, stderr on a terminal: %q", code, stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "Preferences.xml")); string(got) != signedInPrefs {
		t.Errorf("Preferences.xml after the rolled-back apply: %q", got)
	}
}
