package redact

import (
	"regexp"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores/xmlattrs"
)

// placeholderRE matches what the scrubber writes, so the fuzz check can tell a secret
// that survived from one that happens to be part of a placeholder ("REDACTED-Token"
// holding a "Token" value of its own, say).
var placeholderRE = regexp.MustCompile(`REDACTED-[^"'<>\s=]*|redacted@example\.invalid|00000000-0000-0000-0000-\d{12}|0{4,}\d{1,6}`)

func FuzzRedactXML(f *testing.F) {
	f.Add([]byte(prefsXML))
	f.Add([]byte(`<?xml version="1.0"?><!-- jane.doe@example.com --><Preferences a:PlexOnlineToken='x&amp;y12345678' B="jane.doe@example.com"><c T="x&amp;y12345678"/></Preferences>`))
	f.Add([]byte(`<Preferences PlexOnlineToken="" MachineIdentifier="00000000-0000-0000-0000-000000000001"/>`))
	f.Add([]byte("\xFF\xFE<\x00P\x00 \x00T\x00o\x00k\x00e\x00n\x00=\x00\"\x00a\x00b\x00c\x00d\x00e\x00f\x00g\x00h\x00\"\x00/\x00>\x00"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var secrets []string
		if _, err := xmlattrs.Rewrite(raw, "", func(name, value string) (string, bool) {
			if Sensitive(name) && len(value) >= 8 && !isPlaceholder(value) {
				secrets = append(secrets, value)
			}
			return "", false
		}); err != nil {
			return
		}
		out, err := redactXML(raw, newScrubber())
		if err != nil {
			return // refusing is allowed; leaking is not
		}
		text, err := sniffCodec(out).decode(out)
		if err != nil {
			t.Fatalf("output is not text in the input's encoding: %v", err)
		}
		text = placeholderRE.ReplaceAllString(text, "\x00")
		for i, s := range secrets {
			if strings.Contains(text, s) {
				t.Fatalf("secret #%d (%d bytes) survived", i, len(s))
			}
		}
		if _, err := xmlattrs.Rewrite(out, "", unchanged); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
	})
}
