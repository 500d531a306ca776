//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synologyTree lays out a Synology DSM 7 install under a new -root, with a signed-in
// Preferences.xml, and returns the root.
func synologyTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	prefs := filepath.Join(root, "volume1", "PlexMediaServer", "AppData", "Plex Media Server", "Preferences.xml")
	info := filepath.Join(root, "var", "packages", "PlexMediaServer", "INFO")
	for path, text := range map[string]string{
		prefs: `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences PlexOnlineToken="tok-SECRET-123456" PlexOnlineUsername="jane" PlexOnlineMail="jane@example.com"/>` + "\n",
		info:  `package="PlexMediaServer"` + "\n",
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// On a terminal (stdin and stdout both on one, where a person can see a link code and
// answer), reset's default re-link is a link code; with stdout elsewhere it is none.
// The plan -plan-out writes says which; the person answers "no", so nothing changes.
func TestResetRelinkDefaultsToLinkCodeOnATerminal(t *testing.T) {
	root := synologyTree(t)
	plan, err := resetOnATerminal(t, root)
	if err != nil {
		t.Fatalf("reset on a terminal wrote no plan: %v", err)
	}
	if !strings.Contains(string(plan), "relink: {link_code: true}") || !strings.Contains(string(plan), "force: true") {
		t.Errorf("on a terminal the plan re-links with no link code:\n%s", plan)
	}

	offTTY := filepath.Join(t.TempDir(), "off.yaml")
	var stdout, stderr bytes.Buffer
	run([]string{"reset", "-root", root, "-plan-out", offTTY}, &cliEnv{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) (string, bool) { return "", false }})
	plan, err = os.ReadFile(offTTY)
	if err != nil {
		t.Fatalf("reset off a terminal wrote no plan: %v (stderr %q)", err, stderr.String())
	}
	if strings.Contains(string(plan), "plex_signin") || !strings.Contains(string(plan), "absent: [PlexOnlineToken") {
		t.Errorf("off a terminal the plan re-links:\n%s", plan)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "volume1", "PlexMediaServer", "AppData", "Plex Media Server", "Preferences.xml")); !strings.Contains(string(b), "tok-SECRET-123456") {
		t.Error("the settings changed though nobody said yes")
	}
}

// Settings that name no plex.tv account (no PlexOnlineUsername or PlexOnlineMail) leave
// nobody a link code could be checked against, and apply refuses such a link code: on a
// terminal reset's default is then none, not a plan that apply would refuse. Asked
// for by name, the link code stays (and apply refuses it, saying why).
func TestResetDefaultLinkCodeNeedsAnOwner(t *testing.T) {
	root := synologyTree(t)
	prefs := filepath.Join(root, "volume1", "PlexMediaServer", "AppData", "Plex Media Server", "Preferences.xml")
	if err := os.WriteFile(prefs, []byte(`<Preferences PlexOnlineToken="tok-SECRET-123456"/>`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args     []string
		linkCode bool
	}{
		{nil, false},
		{[]string{"-relink", "link-code"}, true},
	} {
		plan, err := resetOnATerminal(t, root, tc.args...)
		if err != nil {
			t.Fatalf("reset %v wrote no plan: %v", tc.args, err)
		}
		if has := strings.Contains(string(plan), "link_code: true"); has != tc.linkCode {
			t.Errorf("reset %v with no owner in the settings: link code in the plan %v, want %v:\n%s", tc.args, has, tc.linkCode, plan)
		}
	}
}

// resetOnATerminal runs reset -plan-out with stdin and stdout on a pty, where a person
// answers "no", and returns the plan it wrote; the error says why there is none.
func resetOnATerminal(t *testing.T, root string, args ...string) ([]byte, error) {
	t.Helper()
	master, slave := openPTY(t)
	if _, err := master.Write([]byte("no\n")); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master)
		got <- b
	}()
	var stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "plan.yaml")
	e := &cliEnv{stdin: slave, stdout: slave, stderr: &stderr, getenv: func(string) (string, bool) { return "", false }}
	run(append([]string{"reset", "-root", root, "-plan-out", out}, args...), e)
	slave.Close()
	<-got
	plan, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("%w (stderr %q)", err, stderr.String())
	}
	return plan, nil
}
