package plan_test

import (
	_ "github.com/plexform/plexform/kinds"
	. "github.com/plexform/plexform/plan"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexform/plexform/stores"
)

const resetPlan = `version: 1
description: Reset Plex sign-in
backups:
  dir: /var/backups/plexform
  keep: 3
resources:
  - name: prefs
    kind: xml_attributes
    path: /var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml
    absent: [PlexOnlineToken, PlexOnlineMail, PlexOnlineUsername, PlexOnlineHome]
    set: {FriendlyName: den, Secret: {env: PLEX_SECRET_FOR_TEST}}
    sensitive: [PlexOnlineMail]
    service: plex
    when: {os: [linux]}
  - name: plex
    kind: service
    manager: systemd
    unit: plexmediaserver
    timeout: 30s
verify:
  - http: {url: 'http://127.0.0.1:32400/identity', status: 200, timeout: 60s}
`

func TestDecodeResetPlan(t *testing.T) {
	p, err := Decode("reset.yaml", []byte(resetPlan))
	if err != nil {
		t.Fatal(err)
	}
	if p.Backups.Keep != 3 || p.Backups.Dir != "/var/backups/plexform" {
		t.Errorf("backups = %+v", p.Backups)
	}
	prefs := p.Resource("prefs")
	if prefs == nil || prefs.Service != "plex" || len(prefs.Absent) != 4 || len(prefs.Set) != 2 {
		t.Fatalf("prefs = %+v", prefs)
	}
	if got := p.Resource("plex"); got.State != "running" || got.Timeout.Seconds() != 30 {
		t.Errorf("service defaults: %+v", got)
	}
	if !prefs.IsSensitive("PlexOnlineToken") || !prefs.IsSensitive("plexonlinemail") || !prefs.IsSensitive("Secret") || prefs.IsSensitive("FriendlyName") {
		t.Error("sensitivity rules wrong")
	}
	if got := len(p.Selected("darwin")); got != 1 {
		t.Errorf("Selected(darwin) has %d resources, want only the service", got)
	}
}

func TestDecodeErrorsNameFileLineAndWhatIsAllowed(t *testing.T) {
	cases := map[string]struct{ plan, want string }{
		"unknown field": {
			"version: 1\nresources:\n  - name: a\n    kind: xml_attributes\n    path: /x\n    absnet: [A]\n",
			"bad.yaml:6:5: unknown field \"absnet\" for kind xml_attributes, did you mean \"absent\"? (allowed: name, kind, when, path, element, absent, set, sensitive, nonsensitive, service)",
		},
		"wrong type": {
			"version: 1\nresources:\n  - name: a\n    kind: xml_attributes\n    path: /x\n    absent: PlexOnlineToken\n",
			"bad.yaml:6:13: a.absent must be a list such as [A, B], not str \"PlexOnlineToken\"",
		},
		"unknown kind": {
			"version: 1\nresources:\n  - name: a\n    kind: xml_attribute\n",
			"bad.yaml:4:11: unknown kind \"xml_attribute\", did you mean \"xml_attributes\"? (known kinds: plex_claim, plex_preferences, plex_service, plex_signin, plist_keys, registry_values, service, xml_attributes)",
		},
		"duplicate name": {
			"version: 1\nresources:\n  - {name: a, kind: xml_attributes, path: /x, absent: [A]}\n  - {name: a, kind: xml_attributes, path: /y, absent: [A]}\n",
			"bad.yaml:4:5: resource name \"a\" is already used at line 3; names must be unique",
		},
		"missing required": {
			"version: 1\nresources:\n  - {name: a, kind: xml_attributes, absent: [A]}\n",
			"bad.yaml:3:5: resource \"a\" (xml_attributes) needs path:",
		},
		"dangling service": {
			"version: 1\nresources:\n  - {name: a, kind: xml_attributes, path: /x, absent: [A], service: plx}\n",
			"bad.yaml:3:60: resource \"a\" names service \"plx\", but there is no resource of that name; services: (none; add a resource with kind: service or plex_service)",
		},
		"service needs its manager's field": {
			"version: 1\nresources:\n  - {name: s, kind: service, manager: s6}\n",
			"bad.yaml:3:5: service \"s\" with manager s6 needs dir:",
		},
		"bad version": {
			"version: 2\nresources: []\n",
			"bad.yaml:1:10: version 2 is not supported; this plexform reads version 1",
		},
		"not yaml": {
			"version: 1\nresources: [\n",
			"bad.yaml:",
		},
		"unknown os": {
			"version: 1\nresources:\n  - {name: a, kind: xml_attributes, path: /x, absent: [A], when: {os: [macos]}}\n",
			"unknown os \"macos\" (known: linux, darwin, windows, freebsd)",
		},
		"literal claim token": {
			"version: 1\nresources:\n  - {name: s, kind: plex_service}\n  - {name: c, kind: plex_claim, service: s, token: claim-abcdefghijklmnopqrst}\n",
			"bad.yaml:4:52: c.token must come from {env: VAR} or {file: PATH}",
		},
		"exchange needs preferences": {
			"version: 1\nresources:\n  - {name: s, kind: plex_service}\n  - {name: c, kind: plex_claim, service: s, method: exchange, token: {env: PLEX_CLAIM}}\n",
			"plex_claim \"c\" with method: exchange needs preferences:",
		},
		"claim service must be a service": {
			"version: 1\nresources:\n  - {name: p, kind: plex_preferences, absent: [PlexOnlineToken]}\n  - {name: c, kind: plex_claim, service: p, token: {env: PLEX_CLAIM}}\n",
			"resource \"c\" names \"p\" as its service, but that is a plex_preferences, not a service",
		},
		"xml values take no type": {
			"version: 1\nresources:\n  - {name: a, kind: xml_attributes, path: /x, set: {N: {value: 3, type: integer}}}\n",
			"bad.yaml:3:56: a.set.N: xml_attributes values are text and take no type:",
		},
		"unknown plist type": {
			"version: 1\nresources:\n  - {name: a, kind: plist_keys, path: /x, set: {N: {value: 3, type: integr}}}\n",
			`a.set.N: type "integr" is not a plist_keys type (use one of integer, real, bool, date, data, or none for text)`,
		},
		"bad element path": {
			"version: 1\nresources:\n  - {name: a, kind: xml_attributes, path: /x, element: '/Preferences[@', absent: [A]}\n",
			`a.element "/Preferences[@" is not an element path`,
		},
		"tab indent": {
			"version: 1\nresources:\n\t- {name: a}\n",
			"line 3 is indented with a tab, and YAML indents with spaces only",
		},
		"domain without darwin": {
			"version: 1\nresources:\n  - {name: m, kind: plist_keys, domain: com.plexapp.plexmediaserver, absent: [A]}\n",
			"bad.yaml:3:5: resource \"m\" uses domain:, which works only on macOS (through the defaults command); add when: {os: [darwin]}, or use path:",
		},
		"bad registry key": {
			"version: 1\nresources:\n  - {name: w, kind: registry_values, key: 'HKXX\\Software', absent: [A], when: {os: [windows]}}\n",
			"bad.yaml:3:43: w.key: registry key",
		},
		"typed value that does not parse": {
			"version: 1\nresources:\n  - {name: a, kind: plist_keys, path: /x, set: {N: {value: abc, type: integer}, B: {value: maybe, type: bool}}}\n",
			"a.set.B:",
		},
		"registry without windows": {
			"version: 1\nresources:\n  - {name: w, kind: registry_values, key: 'HKCU\\Software', absent: [A]}\n",
			"resource \"w\" is a registry_values store, which exists only on Windows; add when: {os: [windows]}",
		},
		"claim without service": {
			"version: 1\nresources:\n  - {name: c, kind: plex_claim, token: {env: X}}\n",
			"bad.yaml:3:5: resource \"c\" (plex_claim) needs service:",
		},
		// What validate accepts, apply can do: a name too long to name a backup, or a
		// value Preferences.xml cannot hold, is refused here, not after the stop.
		"name longer than a backup's": {
			"version: 1\nresources:\n  - {name: " + strings.Repeat("n", MaxNameLen+1) + ", kind: xml_attributes, path: /x, absent: [A]}\n",
			"bad.yaml:3:12: resource name \"nnnnnnnnnnnnnnnnnnnn\"… is 101 characters long; at most 100",
		},
		"control character in an XML value": {
			"version: 1\nresources:\n  - name: a\n    kind: xml_attributes\n    path: /x\n    set: {FriendlyName: \"den\\x01\"}\n",
			"bad.yaml:6:25: a.set.FriendlyName: contains a character that XML 1.0 cannot hold",
		},
		"control character in a plex_preferences value": {
			"version: 1\nresources:\n  - name: p\n    kind: plex_preferences\n    set:\n      FriendlyName: {value: \"\\x1b[31m\"}\n",
			"bad.yaml:6:21: p.set.FriendlyName: contains a character that XML 1.0 cannot hold",
		},
		"set and absent overlap": {
			"version: 1\nresources:\n  - {name: a, kind: xml_attributes, path: /x, absent: [A], set: {a: 1}}\n",
			"a is both under absent: and set:",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode("bad.yaml", []byte(tc.plan))
			if err == nil {
				t.Fatal("decoded without error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, tc.want)
			}
		})
	}
}

func TestDecodePlexKinds(t *testing.T) {
	p, err := Decode("x.yaml", []byte(`version: 1
resources:
  - {name: prefs, kind: plex_preferences, absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: plex_service, timeout: 90s}
  - {name: claim, kind: plex_claim, service: plex, token: {file: /run/secrets/plex_claim}}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := p.Resource("claim")
	if c.URL != DefaultServerURL || c.Claim == nil || c.Claim.Method != "local" || c.Claim.ExchangeURL != DefaultExchangeURL || c.Claim.Token.File != "/run/secrets/plex_claim" {
		t.Errorf("claim defaults: %+v", c)
	}
	if !p.Resource("plex").IsService() || p.Resource("plex").State != "running" || !p.Resource("prefs").IsStore() || c.IsStore() || c.IsService() {
		t.Error("kind classes wrong")
	}
}

func TestDecodeReportsAllProblemsAtOnce(t *testing.T) {
	_, err := Decode("bad.yaml", []byte("version: 1\nresources:\n  - {name: A, kind: xml_attributes, path: /x, absent: [A], colour: red}\n"))
	if err == nil || !strings.Contains(err.Error(), "2 problems") {
		t.Fatalf("err = %v", err)
	}
}

func TestDesireReadsEnvAndFilesAndFailsEarly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "name.txt"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	planPath := filepath.Join(dir, "p.yaml")
	p, err := Decode(planPath, []byte("version: 1\nresources:\n  - name: a\n    kind: xml_attributes\n    path: /x\n    set:\n      A: lit\n      B: {env: B_VAR}\n      C: {file: name.txt}\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"B_VAR": "from-env"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	got, err := p.Desire(p.Resources[0], "", getenv)
	if err != nil {
		t.Fatal(err)
	}
	// Values kept out of the plan file are kept out of every output: sensitive.
	want := []Desired{{Name: "A", Value: stores.Value{Text: "lit"}}, {Name: "B", Value: stores.Value{Text: "from-env"}, Sensitive: true}, {Name: "C", Value: stores.Value{Text: "from-file"}, Sensitive: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("desired (-want +got):\n%s", diff)
	}
	// A value from the environment or a file is checked when it is read, as validate
	// checks a literal, and the error does not quote it (it is kept out of the plan
	// because it may be a secret).
	env["B_VAR"] = "bad\x07value"
	if _, err := p.Desire(p.Resources[0], "", getenv); err == nil || !strings.Contains(err.Error(), "p.yaml:8:7: a.set.B: contains a character that XML 1.0 cannot hold") ||
		strings.Contains(err.Error(), "bad\x07") {
		t.Errorf("a control character from the environment: %v", err)
	}
	delete(env, "B_VAR")
	if _, err := p.Desire(p.Resources[0], "", getenv); err == nil || !strings.Contains(err.Error(), "p.yaml:8:7: a.set.B: environment variable B_VAR is not set") {
		t.Errorf("missing env: %v", err)
	}
}

func TestDiffActions(t *testing.T) {
	r := &Resource{Name: "prefs", Kind: KindXMLAttributes}
	st := stores.State{Exists: true, Values: map[string]stores.Value{
		"PlexOnlineToken": {Text: "t"}, "plexOnlineToken": {Text: "old-casing"},
		"FriendlyName": {Text: "old"}, "Keep": {Text: "same"},
	}}
	want := []Desired{
		{Name: "PlexOnlineToken", Absent: true, Sensitive: true},
		{Name: "PlexOnlineMail", Absent: true},
		{Name: "friendlyname", Value: stores.Value{Text: "new"}},
		{Name: "Keep", Value: stores.Value{Text: "same"}},
		{Name: "Fresh", Value: stores.Value{Text: "x"}},
	}
	rc, err := Diff(r, "/p.xml", want, st)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range rc.Values {
		got = append(got, string(v.Action)+" "+v.StoreName)
	}
	wantActions := []string{"remove PlexOnlineToken", "remove plexOnlineToken", "no-op PlexOnlineMail", "change FriendlyName", "no-op Keep", "add Fresh"}
	if diff := cmp.Diff(wantActions, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	ch := &Changes{Resources: []*ResourceChange{rc}}
	if a, c, d := ch.Summary(); a != 1 || c != 1 || d != 2 {
		t.Errorf("summary = %d %d %d", a, c, d)
	}
	if _, err := Diff(r, "/p.xml", want[2:3], stores.State{}); err == nil {
		t.Error("set on a missing store was accepted")
	}
	if rc, err := Diff(r, "/p.xml", want[:1], stores.State{}); err != nil || rc.HasChanges() {
		t.Errorf("absent on a missing store: %v %v", rc, err)
	}
}

func TestSavedPlanDetectsStaleValuesWithoutKeepingSecrets(t *testing.T) {
	r := &Resource{Name: "prefs", Kind: KindXMLAttributes}
	want := []Desired{{Name: "PlexOnlineToken", Absent: true, Sensitive: true}, {Name: "PlexOnlineMail", Absent: true}}
	before := stores.State{Exists: true, Values: map[string]stores.Value{"PlexOnlineToken": {Text: "super-secret-token"}, "PlexOnlineMail": {Text: "jane@example.com"}}}
	rc, _ := Diff(r, "/p.xml", want, before)
	p := &Plan{File: "p.yaml"}
	saved, err := NewSaved(p, []byte("x"), "", "linux", "test", &Changes{Resources: []*ResourceChange{rc}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "saved.json")
	if err := saved.Write(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "super-secret-token") {
		t.Fatal("saved plan holds the token")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("saved plan mode %o", fi.Mode().Perm())
	}
	if !LooksSaved(data) {
		t.Fatal("LooksSaved false for a saved plan")
	}
	back, err := ParseSaved(path, data)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := Diff(r, "/p.xml", want, before)
	if reasons := back.Stale(&Changes{Resources: []*ResourceChange{same}}); len(reasons) != 0 {
		t.Errorf("unchanged host called stale: %v", reasons)
	}
	before.Values["PlexOnlineToken"] = stores.Value{Text: "another-token"}
	changed, _ := Diff(r, "/p.xml", want, before)
	reasons := back.Stale(&Changes{Resources: []*ResourceChange{changed}})
	if len(reasons) != 1 || !strings.Contains(reasons[0], "prefs.PlexOnlineToken: its current value changed") || strings.Contains(reasons[0], "another-token") {
		t.Errorf("stale reasons = %v", reasons)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(resetPlan))
	f.Add([]byte("version: 1\nresources:\n  - {name: a, kind: service, manager: exec, start: [a], stop: [b], status: [c]}\n"))
	f.Add([]byte("version: 1\nresources: [{name: x, kind: plist_keys, domain: d, absent: [a]}]\nverify: [{log: {path: /l, must_not_match: ['(']}}]"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("version: 1\nresources:\n  - {name: p\n  - {name: q}\n"))
	f.Add([]byte("version: 1\nresources:\n  - name: p\n   kind: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") && !strings.Contains(err.Error(), "problems in the plan file") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		names := map[string]bool{}
		for _, r := range p.Resources {
			if names[r.Name] || !ValidName(r.Name) {
				t.Fatalf("accepted a bad or duplicate name %q", r.Name)
			}
			names[r.Name] = true
		}
	})
}

func TestDidYouMean(t *testing.T) {
	known := []string{"absent", "set", "sensitive", "service"}
	for word, want := range map[string]string{
		"absnet":   `, did you mean "absent"?`,
		"servce":   `, did you mean "service"?`,
		"colour":   "",
		"sensitve": `, did you mean "sensitive"?`,
	} {
		if got := DidYouMean(word, known); got != want {
			t.Errorf("DidYouMean(%q) = %q, want %q", word, got, want)
		}
	}
}
