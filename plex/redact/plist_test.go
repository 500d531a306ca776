package redact

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	howett "howett.net/plist"
)

// The plist fixtures of stores/plist: libplist-made files with a token, a non-ASCII
// e-mail address and user name, and a machine identifier among every plist type.
var plistSecrets = []string{"fake-token-Zx9qW3rT5yU7iO1pA", "jürgen@example.org", "Jürgen ☃ 日本", "5f1a2b3c-0000-4000-8000-0123456789ab"}

var plistNames = []string{"MachineIdentifier", "PlexOnlineMail", "PlexOnlineToken", "PlexOnlineUsername"}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "stores", "plist", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func decodePlist(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if _, err := howett.Unmarshal(raw, &m); err != nil {
		t.Fatalf("does not parse: %v", err)
	}
	return m
}

func plistutilAccepts(t *testing.T, data []byte) {
	t.Helper()
	needTool(t, "plistutil", "libplist-utils")
	in := writeTemp(t, "out.plist", data)
	if msg, err := exec.Command("plistutil", "-i", in, "-o", in+".xml", "-f", "xml").CombinedOutput(); err != nil {
		t.Errorf("plistutil rejects the output: %v\n%s", err, msg)
	}
}

func TestRedactBinaryPlistKeepsEveryOtherValue(t *testing.T) {
	raw := readFixture(t, "prefs.binary.plist")
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(res.Data), "bplist00") {
		t.Fatal("the copy is not a binary plist any more")
	}
	if got := strings.Join(res.Names, ","); got != strings.Join(plistNames, ",") {
		t.Errorf("redacted %s, want %s", got, strings.Join(plistNames, ","))
	}
	before, after := decodePlist(t, raw), decodePlist(t, res.Data)
	assertNoSecret(t, string(res.Data), plistSecrets)
	assertNoSecret(t, renderAll(after), plistSecrets)
	for k, v := range before {
		if contains(plistNames, k) {
			continue
		}
		if renderAll(v) != renderAll(after[k]) {
			t.Errorf("%s changed", k)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d keys, want %d", len(after), len(before))
	}
	if after["PlexOnlineToken"] != "REDACTED-PlexOnlineToken" || after["MachineIdentifier"] != "00000000-0000-0000-0000-000000000001" {
		t.Errorf("placeholders not as documented")
	}
	plistutilAccepts(t, res.Data)
}

func TestRedactXMLPlistKeepsEveryOtherByte(t *testing.T) {
	raw := readFixture(t, "prefs.xml.plist")
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, string(res.Data), plistSecrets)
	if got, want := withoutEntries(string(res.Data), plistNames), withoutEntries(string(raw), plistNames); got != want {
		t.Errorf("bytes other than the redacted entries changed")
	}
	if len(withoutEntries(string(raw), plistNames)) >= len(raw)-len("<key>PlexOnlineToken</key>") {
		t.Fatal("the test's entry cutter cut nothing")
	}
	plistutilAccepts(t, res.Data)
}

func TestRedactPlistNestedAndOpenStep(t *testing.T) {
	raw := []byte(`{ Accounts = ( { AuthToken = "abcdefgh12345678"; Mail = "jane.doe@example.com"; } ); Name = den; Note = "token abcdefgh12345678"; }`)
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, string(res.Data), []string{"abcdefgh12345678", "jane.doe@example.com"})
	m := decodePlist(t, res.Data)
	if m["Name"] != "den" {
		t.Errorf("Name changed")
	}
	if res.Values != 3 {
		t.Errorf("%d values redacted, want 3 (AuthToken, Mail, Note)", res.Values)
	}
}

// withoutEntries cuts <key>NAME</key> and the value after it out of an XML plist.
func withoutEntries(text string, names []string) string {
	for _, n := range names {
		text = regexp.MustCompile(`\s*<key>`+n+`</key>\s*<string>[^<]*</string>`).ReplaceAllString(text, "")
	}
	return text
}

func renderAll(v any) string { return strings.ReplaceAll(strings.TrimSpace(sprint(v)), "\n", " ") }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
