package redact

import (
	"strings"
	"testing"
)

func TestLogLineMasksSecretsAndPersonalData(t *testing.T) {
	line := `Jan 01, 2026 ERROR - MyPlex: Error 401 refreshing the account of alice; GET /myplex/account?X-Plex-Token=tokABC123xyz email=alice%40example.com jane@example.org`
	got := LogLine(line, "alice", "tokABC123xyz")
	for _, secret := range []string{"alice", "tokABC123xyz", "jane@example.org", "example.com"} {
		if strings.Contains(got, secret) {
			t.Errorf("LogLine left %q in: %s", secret, got)
		}
	}
	for _, kept := range []string{"Jan 01, 2026 ERROR - MyPlex: Error 401 refreshing the account", "GET /myplex/account?X-Plex-Token="} {
		if !strings.Contains(got, kept) {
			t.Errorf("LogLine lost %q: %s", kept, got)
		}
	}
	if plain := "INFO - Listening on 127.0.0.1:32400"; LogLine(plain) != plain {
		t.Errorf("LogLine changed a line with nothing to hide: %s", LogLine(plain))
	}
}

func TestLogLineEscapesTerminalControls(t *testing.T) {
	got := LogLine("Dec 01 ERROR \x1b]0;owned\x07 sign-in failed\x1b[2J")
	if strings.ContainsAny(got, "\x1b\x07") {
		t.Fatalf("a control character reached the output: %q", got)
	}
	if !strings.Contains(got, `\x1b]0;owned\x07 sign-in failed`) {
		t.Errorf("the line is not kept readable: %q", got)
	}
}

func TestPrintableLinesKeepsOnlyNewlines(t *testing.T) {
	in := "open /srv/\x1b[31mevil\x07/Preferences.xml: denied\n  - /srv/\x1b]0;x\n\tnext\r"
	want := "open /srv/\\x1b[31mevil\\x07/Preferences.xml: denied\n  - /srv/\\x1b]0;x\n\tnext\\x0d"
	if got := PrintableLines(in); got != want {
		t.Errorf("PrintableLines = %q, want %q", got, want)
	}
	if got := Printable("a\nb"); got != `a\x0ab` {
		t.Errorf("Printable keeps a path's newline raw: %q", got)
	}
}
