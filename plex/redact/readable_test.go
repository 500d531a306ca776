package redact

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// A redacted binary plist reads as an XML plist holding the same values, as
// plistutil (an independent reader) converts it.
func TestReadableBinaryPlist(t *testing.T) {
	res, err := Redact(readFixture(t, "prefs.binary.plist"))
	if err != nil {
		t.Fatal(err)
	}
	text, ok, err := Readable(res)
	if err != nil || !ok {
		t.Fatalf("Readable(binary plist) = ok %v, %v", ok, err)
	}
	if !bytes.HasPrefix(text, []byte("<?xml")) || !bytes.Contains(text, []byte("<key>PlexOnlineToken</key>")) {
		t.Fatalf("not an XML plist:\n%s", text)
	}
	assertNoSecret(t, string(text), plistSecrets)
	// XML plists carry dates to the second (as Apple's do); the rest is the same.
	if got, want := sprint(toSeconds(decodePlist(t, text))), sprint(toSeconds(decodePlist(t, res.Data))); got != want {
		t.Errorf("the text holds other values than the copy:\n got %s\nwant %s", got, want)
	}
	needTool(t, "plistutil", "libplist-utils")
	in := writeTemp(t, "copy.plist", res.Data)
	if msg, err := exec.Command("plistutil", "-i", in, "-o", in+".xml", "-f", "xml").CombinedOutput(); err != nil {
		t.Fatalf("plistutil: %v\n%s", err, msg)
	}
}

func toSeconds(v any) any {
	switch v := v.(type) {
	case time.Time:
		return v.Truncate(time.Second)
	case map[string]any:
		for k, e := range v {
			v[k] = toSeconds(e)
		}
	case []any:
		for i, e := range v {
			v[i] = toSeconds(e)
		}
	}
	return v
}

func TestReadableUTF16Reg(t *testing.T) {
	src := "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Plex, Inc.\\Plex Media Server]\r\n\"FriendlyName\"=\"d\u00e9n\"\r\n\"PlexOnlineToken\"=\"xYz12AbC34dEf56GhI78\"\r\n"
	raw := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(src)) {
		raw = append(raw, byte(u), byte(u>>8))
	}
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	text, ok, err := Readable(res)
	if err != nil || !ok {
		t.Fatalf("Readable(UTF-16 .reg) = ok %v, %v", ok, err)
	}
	want := strings.Replace(src, "xYz12AbC34dEf56GhI78", "REDACTED-PlexOnlineToken", 1)
	if string(text) != want {
		t.Errorf("text:\n%q\nwant\n%q", text, want)
	}
}

// Text formats are shown as they are.
func TestReadableLeavesText(t *testing.T) {
	res, err := Redact([]byte(prefsXML))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Readable(res); ok || err != nil {
		t.Errorf("Readable(Preferences.xml) = ok %v, %v; want it left alone", ok, err)
	}
}
