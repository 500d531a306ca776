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
	f.Add([]byte(`<Preferences PlexOnlineToken="eyJhbGciOiJFZERTQSJ9.eyJleHAiOjE3NTY2ODQ4MDB9.c2ln" Other="x eyJhIjoxfQ.eyJiIjoyfQ. y"><!-- eyJ0.eyJ1.sig --></Preferences>`))
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
		if jwtLike.MatchString(text) {
			t.Fatal("a JWT survived")
		}
		if _, err := xmlattrs.Rewrite(out, "", unchanged); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
	})
}

// FuzzLogLine: whatever surrounds it, a token after X-Plex-Token= (any shape, quoted with
// spaces too), in <authentication-token>, after Authorization: Bearer, and a JWT
// anywhere never survive LogLine.
func FuzzLogLine(f *testing.F) {
	f.Add("Dec 07 ERROR - GET /identity?", "tok~2.x!Q", " failed")
	f.Add("url=http%3A%2F%2Fx%3F", "eyJhbGciOiJFZERTQSJ9.eyJleHAiOjE3NTY2ODQ4MDB9.c2ln", "%26a")
	f.Add("Bearer ", "eyJhIjoxfQ.eyJiIjoyfQ.", "")
	f.Add("DEBUG - answer <user>", "Qx81-tok_2026abcdef", "</user>")
	f.Add("DEBUG - header", "opaque.token~value", ", retry")
	f.Fuzz(func(t *testing.T, before, token, after string) {
		if len(token) < 8 || strings.ContainsAny(token, "&\"' \t\r\n\v\f\u0085\u00a0") || strings.ContainsFunc(token, isControl) ||
			strings.Contains(Printable(before)+" "+Printable(after), token) || strings.Contains("(masked) (masked e-mail)", token) {
			return // not a token, or one the line holds on its own (also once escaped: \x00 then 000000)
		}
		lines := []string{before + " X-Plex-Token=" + token + "&" + after, before + " X-Plex-Token%3D" + token + "%26" + after,
			before + " Authorization: Bearer " + token + " " + after}
		if !strings.ContainsAny(token, `"<`) {
			lines = append(lines, before+` X-Plex-Token = "`+token+" "+token+`" `+after, before+"<authentication-token>"+token+"</authentication-token>"+after)
		}
		for _, line := range lines {
			if got := LogLine(line); strings.Contains(got, token) {
				t.Fatalf("the token (%d bytes) survived", len(token))
			}
		}
		if strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			return // not base64url: no JWT can be made of it
		}
		jwt := "eyJ" + token + "." + token + "." + token
		if got := LogLine(before + jwt + after); strings.Contains(got, token) {
			t.Fatal("a JWT survived, in part or whole")
		}
	})
}
