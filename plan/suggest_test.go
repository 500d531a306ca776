package plan_test

import (
	_ "github.com/plexform/plexform/kinds"
	. "github.com/plexform/plexform/plan"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores"
)

func TestNearMiss(t *testing.T) {
	known := append([]string{"FriendlyName", "LogVerbose", "Foo"}, SignInValues...)
	cases := map[string]string{
		"PlexOnlineTokne":    "PlexOnlineToken", // a swap
		"plexonlinetoken":    "",                // the same name in another case is a match
		"PlexOnlineTokens":   "PlexOnlineToken",
		"PlexOnlinMail":      "PlexOnlineMail",
		"PlexOnlineUser":     "", // four edits away from PlexOnlineUsername
		"FreindlyName":       "FriendlyName",
		"Fob":                "",           // too short to guess
		"LogVerbos":          "LogVerbose", // two edits are allowed for longer names only
		"Vebose":             "",
		"ManualPortMappings": "",
	}
	for word, want := range cases {
		if got := NearMiss(word, known); got != want {
			t.Errorf("NearMiss(%q) = %q, want %q", word, got, want)
		}
	}
}

// TestDiffWarnsAboutNearMissNames: the store's own names count, not only sign-in names,
// and a name the store holds in another case is no warning.
func TestDiffWarnsAboutNearMissNames(t *testing.T) {
	p, err := Decode("p.yaml", []byte("version: 1\nresources:\n  - name: prefs\n    kind: xml_attributes\n    path: /x\n    absent: [PlexOnlineTokne, plexonlinemail]\n    set: {CustomSetting: a}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].String(), `p.yaml:6:14: prefs: absent: "PlexOnlineTokne" is not one of Plex's sign-in names; did you mean "PlexOnlineToken"?`) {
		t.Errorf("decode warnings: %v", p.Warnings)
	}
	r := p.Resource("prefs")
	want, err := p.Desire(r, "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st := stores.State{Exists: true, Values: map[string]stores.Value{"PlexOnlineMail": {Text: "m"}, "CustomSettings": {Text: "b"}}}
	rc, err := Diff(r, "/x", want, st)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rc.Warnings, "\n")
	for _, w := range []string{`absent: "PlexOnlineTokne" is not in the store; did you mean "PlexOnlineToken"? (plan line 6)`, `set: "CustomSetting" is not in the store; did you mean "CustomSettings"? (plan line 7)`} {
		if !strings.Contains(got, w) {
			t.Errorf("warnings:\n%s\nwant %s", got, w)
		}
	}
	if len(rc.Warnings) != 2 {
		t.Errorf("%d warnings, want 2: %v", len(rc.Warnings), rc.Warnings)
	}
}
