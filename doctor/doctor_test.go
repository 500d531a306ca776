package doctor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const pms = "/var/lib/plexmediaserver/Library/Application Support/Plex Media Server"

// debianTree is a Debian host under a temp root with a signed-in Preferences.xml and a
// log holding a MyPlex 401 that names the token, the mail and the user.
func debianTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"/lib/systemd/system/plexmediaserver.service": "[Service]\nUser=plex\nGroup=plex\n",
		"/etc/passwd":                       "plex:x:999:998::/var/lib/plexmediaserver:/usr/sbin/nologin\n",
		"/etc/group":                        "plex:x:998:\n",
		pms + "/Preferences.xml":            `<Preferences PlexOnlineToken="Tok3nTok3nTok3nTok3n" PlexOnlineMail="jo@example.invalid" PlexOnlineUsername="jo-user" GracenoteUser="gn-777-secret"/>` + "\n",
		pms + "/Logs/Plex Media Server.log": "ok line\nERROR - MyPlex: 401 for jo-user, gracenote gn-777-secret, X-Plex-Token=Tok3nTok3nTok3nTok3n\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func options(root string) Options {
	return Options{Root: root, GOOS: "linux", Getenv: func(string) (string, bool) { return "", false }}
}

// Each check stands alone: run by itself on fresh facts it finds what it finds among the
// others (no check relies on another having run first).
func TestChecksAreIndependent(t *testing.T) {
	root := debianTree(t)
	ctx := context.Background()
	rep := Run(ctx, options(root), "test")
	byName := map[string]Result{}
	for _, r := range rep.Checks {
		byName[r.Name] = r
	}
	for _, c := range Checks {
		alone := c.Run(ctx, NewFacts(options(root)))
		if alone.Status == StatusOmitted {
			if _, ok := byName[c.Name()]; ok {
				t.Errorf("%s: omitted alone but reported among the others", c.Name())
			}
			continue
		}
		alone.Name = c.Name()
		if !reflect.DeepEqual(alone, byName[c.Name()]) {
			t.Errorf("%s alone:\n%+v\namong the others:\n%+v", c.Name(), alone, byName[c.Name()])
		}
	}
	if len(rep.Checks) < 8 {
		t.Errorf("only %d checks reported", len(rep.Checks))
	}
}

// The log's sign-in error is shown, masked with the one helper: the stored token, user
// name and GracenoteUser (sensitive by redact's rule) never appear; the advice names
// `plexform init`, not a file of plexform's repository.
func TestLogMaskedAndAdviceNamesInit(t *testing.T) {
	rep := Run(context.Background(), options(debianTree(t)), "test")
	out, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Tok3nTok3nTok3nTok3n", "jo@example.invalid", "jo-user", "gn-777-secret"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("the report holds a secret (%d chars)", len(secret))
		}
	}
	var log Result
	for _, r := range rep.Checks {
		if r.Name == "log" {
			log = r
		}
	}
	if log.Status != StatusProblem || len(log.Details) != 1 || !strings.Contains(log.Details[0], "X-Plex-Token=(masked)") {
		t.Errorf("log check: %+v", log)
	}
	if !strings.Contains(log.Fix, "`plexform init`") || strings.Contains(string(out), "examples/") {
		t.Errorf("the advice does not name plexform init, or names a file of the repository: %s", log.Fix)
	}
}

// A path or container name anyone could choose reaches the terminal escaped, in every
// part of a check: a name holding an escape sequence cannot drive the terminal.
func TestWriteHumanEscapesWhatItShows(t *testing.T) {
	const esc = "\x1b]0;owned\x07"
	rep := Report{Version: "test", Checks: []Result{{
		Name: "settings", Status: StatusProblem,
		Summary: "/srv/" + esc + "/Preferences.xml", Details: []string{"container " + esc}, Fix: "chown " + esc,
	}}}
	var b strings.Builder
	WriteHuman(&b, rep, "/mnt/"+esc)
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("raw control characters reached the output: %q", out)
	}
	if got := strings.Count(out, `\x1b]0;owned\x07`); got != 4 {
		t.Errorf("escaped name shown %d times, want 4 (root, summary, detail, fix): %q", got, out)
	}
}

// TestNewView: -json is the report as one indented JSON document, the same as the one
// views.WriteJSON prints for every other command; without it, the text WriteHuman prints.
func TestNewView(t *testing.T) {
	rep := Report{Version: "test", Checks: []Result{{Name: "settings", Status: StatusOK, Summary: "found"}}}
	var js, human, want strings.Builder
	if err := NewView(true, &js, "").Report(rep); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal([]byte(js.String()), &back); err != nil || back.Version != "test" || len(back.Checks) != 1 || back.Checks[0].Summary != "found" {
		t.Errorf("-json: %v, %+v\n%s", err, back, js.String())
	}
	if !strings.HasPrefix(js.String(), "{\n  \"plexform_version\": \"test\",\n") {
		t.Errorf("-json is not indented as every plexform document is:\n%s", js.String())
	}
	if err := NewView(false, &human, "/mnt").Report(rep); err != nil {
		t.Fatal(err)
	}
	WriteHuman(&want, rep, "/mnt")
	if human.String() != want.String() || !strings.HasPrefix(human.String(), "plexform test doctor (under /mnt)\n") {
		t.Errorf("human:\n%s\nwant\n%s", human.String(), want.String())
	}
}
