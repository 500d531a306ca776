package redact

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores/xmlattrs"
)

// prefsXML is a Preferences.xml as PMS writes it, with every kind of secret.
const prefsXML = `<?xml version="1.0" encoding="utf-8"?>
<Preferences OldestPreviousVersion="1.32.5.7349-8f4248874" MachineIdentifier="3c9d2b70-1a4e-4c6b-9f0e-2a6d8b1c4e57" ProcessedMachineIdentifier="8b1f0e3c2d4a6b8c0e2f4a6c8e0b2d4f6a8c0e2b" AnonymousMachineIdentifier="5e7a9c1b-3d5f-4a7c-9e1b-3d5f7a9c1e3b" CertificateUUID="0f1e2d3c4b5a69788796a5b4c3d2e1f0" FriendlyName="den" PlexOnlineHome="1" PlexOnlineMail="jane.doe@example.com" PlexOnlineToken="xYz12AbC34dEf56GhI78" PlexOnlineUsername="janedoe" TranscoderTempDirectory="/tmp" LastAutomaticMappedPort="0" AcceptedEULA="1"/>
`

var prefsSecrets = []string{
	"3c9d2b70-1a4e-4c6b-9f0e-2a6d8b1c4e57", "8b1f0e3c2d4a6b8c0e2f4a6c8e0b2d4f6a8c0e2b",
	"5e7a9c1b-3d5f-4a7c-9e1b-3d5f7a9c1e3b", "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
	"jane.doe@example.com", "xYz12AbC34dEf56GhI78", "janedoe",
}

var prefsNames = []string{
	"MachineIdentifier", "ProcessedMachineIdentifier", "AnonymousMachineIdentifier",
	"CertificateUUID", "PlexOnlineMail", "PlexOnlineToken", "PlexOnlineUsername",
}

// withoutAttrs cuts the named attributes (and the blanks before them) out of XML text,
// so what is left must be byte-identical before and after redaction.
func withoutAttrs(text string, names []string) string {
	for _, n := range names {
		text = regexp.MustCompile(`\s+`+n+`\s*=\s*("[^"]*"|'[^']*')`).ReplaceAllString(text, "")
	}
	return text
}

func TestRedactPreferencesXMLVariants(t *testing.T) {
	crlf := strings.ReplaceAll(strings.ReplaceAll(prefsXML, "\n", "\r\n"), `" `, "\"\r\n    ")
	cases := map[string][]byte{
		"as PMS writes it":           []byte(prefsXML),
		"CRLF, one attribute a line": []byte(crlf),
		"UTF-8 byte-order mark":      append([]byte("\xEF\xBB\xBF"), prefsXML...),
		"single quotes, no newline":  []byte(strings.TrimSuffix(strings.ReplaceAll(prefsXML, `"`, `'`), "\n")),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := Redact(raw)
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != XML {
				t.Fatalf("format %q, want xml", res.Format)
			}
			out := string(res.Data)
			assertNoSecret(t, out, prefsSecrets)
			if got, want := strings.Join(res.Names, ","), strings.Join(prefsNames, ","); got != want {
				t.Errorf("redacted names %s, want %s", got, want)
			}
			if got, want := withoutAttrs(out, prefsNames), withoutAttrs(string(raw), prefsNames); got != want {
				t.Errorf("bytes other than the redacted attributes changed:\n got %q\nwant %q", got, want)
			}
			want := map[string]string{
				"MachineIdentifier":          "00000000-0000-0000-0000-000000000001",
				"ProcessedMachineIdentifier": "0000000000000000000000000000000000000002",
				"AnonymousMachineIdentifier": "00000000-0000-0000-0000-000000000003",
				"CertificateUUID":            "00000000000000000000000000000004",
				"PlexOnlineMail":             "redacted@example.invalid",
				"PlexOnlineToken":            "REDACTED-PlexOnlineToken",
				"PlexOnlineUsername":         "REDACTED-PlexOnlineUsername",
				"PlexOnlineHome":             "1",
				"FriendlyName":               "den",
			}
			got := map[string]string{}
			if _, err := xmlattrs.Rewrite(res.Data, "", func(n, v string) (string, bool) { got[n] = v; return "", false }); err != nil {
				t.Fatalf("output does not parse: %v", err)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			needTool(t, "xmllint", "libxml2-utils")
			if msg, err := exec.Command("xmllint", "--noout", writeTemp(t, "Preferences.xml", res.Data)).CombinedOutput(); err != nil {
				t.Errorf("xmllint rejects the output: %v\n%s", err, msg)
			}
		})
	}
}

func TestRedactXMLUTF16KeepsEncoding(t *testing.T) {
	raw := (textCodec{bom: []byte{0xFF, 0xFE}, utf16: true}).encode(strings.Replace(prefsXML, "utf-8", "utf-16", 1))
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	c := sniffCodec(res.Data)
	text, err := c.decode(res.Data)
	if err != nil || !c.utf16 || len(c.bom) != 2 {
		t.Fatalf("output is not UTF-16 with its BOM any more (%v)", err)
	}
	assertNoSecret(t, text, prefsSecrets)
	if withoutAttrs(text, prefsNames) != withoutAttrs(strings.Replace(prefsXML, "utf-8", "utf-16", 1), prefsNames) {
		t.Error("bytes other than the redacted attributes changed")
	}
}

func TestRedactXMLFindsSecretsOutsideTheRootAttributes(t *testing.T) {
	raw := []byte(`<?xml version="1.0"?>
<!-- signed in as jane.doe@example.com with xYz12AbC34dEf56GhI78 -->
<Preferences PlexOnlineToken="xYz12AbC34dEf56GhI78" Url="https://x.invalid/?X-Plex-Token=xYz12AbC34dEf56GhI78">
  <Child Token="xYz12AbC34dEf56GhI78">owner jane.doe@example.com</Child>
</Preferences>
`)
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, string(res.Data), []string{"xYz12AbC34dEf56GhI78", "jane.doe@example.com"})
	if res.Values != 2 || res.Elsewhere != 4 {
		t.Errorf("counted %d values and %d elsewhere, want 2 and 4", res.Values, res.Elsewhere)
	}
	if !strings.Contains(string(res.Data), `Url="https://x.invalid/?X-Plex-Token=REDACTED-PlexOnlineToken"`) {
		t.Errorf("a token inside another value is not replaced by its placeholder:\n%s", res.Data)
	}
}

func TestRedactXMLKeepsEmptyValuesAndIsIdempotent(t *testing.T) {
	raw := []byte(`<Preferences PlexOnlineToken="" PlexOnlineMail="" MachineIdentifier="3c9d2b70-1a4e-4c6b-9f0e-2a6d8b1c4e57"/>`)
	res, err := Redact(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := `<Preferences PlexOnlineToken="" PlexOnlineMail="" MachineIdentifier="00000000-0000-0000-0000-000000000001"/>`
	if string(res.Data) != want {
		t.Errorf("got  %s\nwant %s", res.Data, want)
	}
	again, err := Redact(res.Data)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Data) != want || again.Values != 0 {
		t.Errorf("redacting a redacted file changed %d values: %s", again.Values, again.Data)
	}
}

func TestRedactRefusesMalformed(t *testing.T) {
	for _, raw := range []string{`<Preferences PlexOnlineToken="xYz12AbC34dEf56GhI78" <`, "", "just text", "bplist00garbage"} {
		res, err := Redact([]byte(raw))
		if err == nil {
			t.Errorf("%q: no error (output %d bytes)", raw, len(res.Data))
			continue
		}
		if strings.Contains(err.Error(), "xYz12AbC34dEf56GhI78") {
			t.Errorf("the error repeats the token")
		}
	}
}
