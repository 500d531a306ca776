package redact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores/registry/regfile"
)

func wineExport(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "stores", "registry", "regfile", "testdata", "wine-export.reg"))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// withPlexValues adds Plex's sign-in values (and an e-mail address hidden in hex(2)
// data) after the line `"a"="b"` of a UTF-16 export.
func withPlexValues(t *testing.T, raw []byte) []byte {
	t.Helper()
	c := sniffCodec(raw)
	text, err := c.decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	extra := `"PlexOnlineToken"="xYz12AbC34dEf56GhI78"` + "\r\n" +
		`"PlexOnlineMail"="jane.doe@example.com"` + "\r\n" +
		`"PlexOnlineUsername"="janedoe"` + "\r\n" +
		`"PlexOnlineHome"="1"` + "\r\n" +
		`"MachineIdentifier"="3c9d2b70-1a4e-4c6b-9f0e-2a6d8b1c4e57"` + "\r\n" +
		// "jane.doe@example.com" as REG_EXPAND_SZ
		`"Contact"=hex(2):6a,00,61,00,6e,00,65,00,2e,00,64,00,6f,00,65,00,40,00,65,00,78,00,61,00,6d,00,70,00,6c,00,65,00,2e,00,63,00,6f,00,6d,00,00,00` + "\r\n"
	if !strings.Contains(text, "\"a\"=\"b\"\r\n") {
		t.Fatal("fixture changed: no \"a\"=\"b\" line")
	}
	return c.encode(strings.Replace(text, "\"a\"=\"b\"\r\n", "\"a\"=\"b\"\r\n"+extra, 1))
}

// withoutValueLines drops the lines (and continuation lines) of the named values.
func withoutValueLines(text string, names []string) string {
	var keep []string
	skipping := false
	for _, line := range strings.SplitAfter(text, "\n") {
		if skipping {
			skipping = strings.HasSuffix(strings.TrimRight(line, "\r\n"), `\`)
			continue
		}
		drop := false
		for _, n := range names {
			if strings.HasPrefix(line, `"`+n+`"=`) {
				drop = true
			}
		}
		if drop {
			skipping = strings.HasSuffix(strings.TrimRight(line, "\r\n"), `\`)
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "")
}

func TestRedactRegLeavesACleanExportByteForByte(t *testing.T) {
	raw := wineExport(t)
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Data) != string(raw) || res.Values != 0 || res.Format != Reg {
		t.Errorf("a file with nothing to redact changed (%d values, format %s)", res.Values, res.Format)
	}
}

func TestRedactRegUTF16WithPlexValues(t *testing.T) {
	raw := withPlexValues(t, wineExport(t))
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Data[:2]) != "\xFF\xFE" {
		t.Fatal("the copy lost its UTF-16LE byte-order mark")
	}
	c := sniffCodec(res.Data)
	text, err := c.decode(res.Data)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, text, prefsSecrets)
	names := []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "MachineIdentifier", "Contact"}
	if got := strings.Join(res.Names, ","); got != strings.Join(names, ",") {
		t.Errorf("redacted %s, want %s", got, strings.Join(names, ","))
	}
	orig, _ := sniffCodec(raw).decode(raw)
	if withoutValueLines(text, names) != withoutValueLines(orig, names) {
		t.Errorf("lines other than the redacted values changed")
	}
	f, err := regfile.Parse(res.Data)
	if err != nil {
		t.Fatalf("the copy does not parse: %v", err)
	}
	got := map[string]regfile.Value{}
	for _, v := range f.Keys[0].Values {
		got[v.Name] = v
	}
	if s, _ := regString(got["Contact"]); s != EmailPlaceholder || got["Contact"].Type != regfile.RegExpandSZ {
		t.Errorf("Contact is type %d, want REG_EXPAND_SZ with the e-mail placeholder", got["Contact"].Type)
	}
	if s, _ := regString(got["PlexOnlineToken"]); s != "REDACTED-PlexOnlineToken" {
		t.Error("PlexOnlineToken is not its placeholder")
	}
	if s, _ := regString(got["PlexOnlineHome"]); s != "1" {
		t.Error("PlexOnlineHome changed")
	}
}

func TestRedactRegedit4ANSIKeepsItsBytes(t *testing.T) {
	raw := []byte("REGEDIT4\n\n[HKEY_CURRENT_USER\\Software\\Plex, Inc.\\Plex Media Server]\n" +
		"\"FriendlyName\"=\"caf\xe9\"\n\"PlexOnlineToken\"=\"xYz12AbC34dEf56GhI78\"\n; signed in as jane.doe@example.com\n")
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := "REGEDIT4\n\n[HKEY_CURRENT_USER\\Software\\Plex, Inc.\\Plex Media Server]\n" +
		"\"FriendlyName\"=\"caf\xe9\"\n\"PlexOnlineToken\"=\"REDACTED-PlexOnlineToken\"\n; signed in as redacted@example.invalid\n"
	if string(res.Data) != want {
		t.Errorf("got  %q\nwant %q", res.Data, want)
	}
	if res.Elsewhere != 1 {
		t.Errorf("%d replacements outside values, want 1 (the comment)", res.Elsewhere)
	}
}
