package redact

import (
	"strings"
	"testing"
)

// GracenoteUser and the hosts of customConnections identify a home: they go, the
// scheme, ports, private addresses and every other byte stay, and a second pass
// changes nothing.
func TestRedactGracenoteAndCustomConnections(t *testing.T) {
	raw := `<?xml version="1.0" encoding="utf-8"?>
<Preferences FriendlyName="den" GracenoteUser="WEBAPI_1234567890123456789-ABCDEFGHIJ" customConnections="https://plex.jane-doe.duckdns.org:32400, http://203.0.113.77:32400,http://192.168.1.5:32400,[2a01:4f8::1]:443,http://nas:32400/,https://localhost:32400" PublishServerOnPlexOnlineKey="1"/>
<!-- reached through plex.jane-doe.duckdns.org -->
`
	res, err := Redact([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Data)
	assertNoSecret(t, out, []string{"WEBAPI_1234567890123456789-ABCDEFGHIJ", "jane-doe", "duckdns", "203.0.113.77", "2a01:4f8", "nas:"})
	for _, want := range []string{
		`GracenoteUser="REDACTED-GracenoteUser"`,
		`customConnections="https://host-1.invalid:32400, http://192.0.2.2:32400,http://192.168.1.5:32400,[2001:db8::3]:443,http://host-4.invalid:32400/,https://localhost:32400"`,
		`<!-- reached through host-1.invalid -->`,
		`FriendlyName="den"`,
		`PublishServerOnPlexOnlineKey="1"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("redacted copy lacks %s:\n%s", want, out)
		}
	}
	if got := strings.Join(res.Names, ","); got != "GracenoteUser,customConnections" {
		t.Errorf("names %s", got)
	}
	again, err := Redact(res.Data)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Data) != out || again.Values != 0 {
		t.Errorf("a second redaction changed %d values:\n%s", again.Values, again.Data)
	}
}

func TestConnectionHosts(t *testing.T) {
	for in, want := range map[string]string{
		"https://a.example:32400":             "a.example",
		"http://u:pw@b.example/x":             "b.example",
		"c.example:32400, https://[::1]:1/":   "c.example|[::1]",
		"":                                    "",
		",,https://":                          "",
		"http://d.example?x=1#frag,e.example": "d.example|e.example",
	} {
		var got []string
		for _, sp := range connectionHosts(in) {
			got = append(got, in[sp[0]:sp[1]])
		}
		if strings.Join(got, "|") != want {
			t.Errorf("connectionHosts(%q) = %q, want %q", in, got, want)
		}
	}
}
