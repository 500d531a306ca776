package plexsim

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/stores"
)

const signedIn = `<?xml version="1.0" encoding="utf-8"?>
<Preferences MachineIdentifier="m-1" ProcessedMachineIdentifier="pm-1" PlexOnlineToken="tok-secret-1" PlexOnlineUsername="alice" FriendlyName="den &amp; &quot;hall&quot;"/>
`

// startSim starts an in-process simulator on a free port with prefs as its
// Preferences.xml (nil: no file) and stops it when the test ends.
func startSim(t *testing.T, prefs []byte, refuse string) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Preferences.xml")
	if prefs != nil {
		if err := os.WriteFile(path, prefs, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Start(Options{PrefsPath: path, Listen: "127.0.0.1:0", RefuseIfAttr: refuse})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Stop() })
	return s, path
}

func identity(t *testing.T, s *Server) plexsimtest.Identity {
	t.Helper()
	id, err := plexsimtest.GetIdentity(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestIdentityReportsClaimedFromToken(t *testing.T) {
	for _, tc := range []struct {
		name, prefs, claimed, machine string
	}{
		{"signed in", signedIn, "1", "pm-1"},
		{"empty token", `<Preferences ProcessedMachineIdentifier="pm-2" PlexOnlineToken=""/>`, "0", "pm-2"},
		{"no token", `<Preferences ProcessedMachineIdentifier="pm-3" MachineIdentifier="other"/>`, "0", "pm-3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := startSim(t, []byte(tc.prefs), "")
			id := identity(t, s)
			if id.Claimed != tc.claimed || id.MachineIdentifier != tc.machine || id.Version != Version {
				t.Errorf("identity = %+v, want claimed=%s machineIdentifier=%s version=%s", id, tc.claimed, tc.machine, Version)
			}
		})
	}
}

func post(t *testing.T, s *Server, token string) int {
	t.Helper()
	resp, err := http.Post("http://"+s.Addr()+"/myplex/claim?token="+token, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestClaim(t *testing.T) {
	s, path := startSim(t, []byte(`<Preferences ProcessedMachineIdentifier="pm" FriendlyName="den"/>`), "")
	for _, tc := range []struct {
		token string
		want  int
	}{
		{"claim-short", http.StatusBadRequest},
		{"token-abcdefghijklmnopqrst", http.StatusBadRequest},
		{"claim-abcdefghijklmnopqrs!", http.StatusBadRequest},
		{"claim-expired0123456789abc", http.StatusUnauthorized},
	} {
		if got := post(t, s, tc.token); got != tc.want {
			t.Errorf("claim with %q: status %d, want %d", tc.token, got, tc.want)
		}
	}
	if id := identity(t, s); id.Claimed != "0" {
		t.Fatalf("rejected claims left claimed=%s", id.Claimed)
	}
	if got := post(t, s, "claim-Abc_def-0123456789xy"); got != http.StatusOK {
		t.Fatalf("good claim: status %d", got)
	}
	if id := identity(t, s); id.Claimed != "1" {
		t.Fatalf("after a claim: claimed=%s", id.Claimed)
	}
	if got := post(t, s, "claim-Abc_def-0123456789zz"); got != http.StatusBadRequest {
		t.Errorf("second claim: status %d, want 400 (already claimed)", got)
	}
	if resp, err := http.Get("http://" + s.Addr() + "/myplex/claim?token=claim-Abc_def-0123456789xy"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET claim: %v %v, want 405", resp, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	st := readPrefs(t, path)
	token := st.get(attrToken)
	if len(token) != 20 || st.get(attrUsername) == "" || !strings.Contains(st.get(attrMail), "@") {
		t.Errorf("saved sign-in: token of %d chars, user %q, mail %q", len(token), st.get(attrUsername), st.get(attrMail))
	}
	if st.get("FriendlyName") != "den" {
		t.Errorf("FriendlyName changed to %q", st.get("FriendlyName"))
	}
	logText := readLog(t, path)
	if strings.Contains(logText, token) || strings.Contains(logText, "0123456789xy") {
		t.Error("the log contains a token")
	}
	if !strings.Contains(logText, "INFO - MyPlex: claimed") || !strings.Contains(logText, "ERROR - MyPlex: Error 401") {
		t.Errorf("log lacks the claim and the expired-token lines:\n%s", logText)
	}
}

func readPrefs(t *testing.T, path string) settings {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := parsePrefs(data)
	if err != nil {
		t.Fatalf("the simulator wrote a file it cannot read back: %v", err)
	}
	return st
}

func readLog(t *testing.T, prefsPath string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(prefsPath), "Logs", "Plex Media Server.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestRefusesMalformedFile(t *testing.T) {
	for _, bad := range []string{
		"",
		"<Preferences",
		`<Preferences A="1"><x></Preferences>`,
		`<Preferences A="1"/><Preferences/>`,
		`<Settings A="1"/>`,
		`<Preferences A="1" A="2"/>`,
		`<Preferences A="1"/> trailing`,
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "Preferences.xml")
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		code := Main([]string{"-prefs", path, "-listen", "127.0.0.1:0"}, &stderr, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "malformed") {
			t.Errorf("%q: exit %d, stderr %q; want 1 and a malformed message", bad, code, stderr.String())
		}
		if logText := readLog(t, path); !strings.Contains(logText, "] ERROR - ") {
			t.Errorf("%q: no ERROR log line:\n%s", bad, logText)
		}
		if after, _ := os.ReadFile(path); string(after) != bad {
			t.Errorf("%q: the refused file was changed to %q", bad, after)
		}
	}
}

func TestStartErrorIsMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Preferences.xml")
	if err := os.WriteFile(path, []byte("<Preferences"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(Options{PrefsPath: path, Listen: "127.0.0.1:0"})
	if !errors.Is(err, stores.ErrMalformed) || !strings.Contains(err.Error(), path) {
		t.Errorf("Start: %v; want ErrMalformed naming the file", err)
	}
}

func TestRefuseIfAttr(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Preferences.xml")
	if err := os.WriteFile(path, []byte(`<Preferences Broken="1"/>`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := Main([]string{"-prefs", path, "-listen", "127.0.0.1:0", "-refuse-if-attr", "Broken"}, &stderr, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "Broken") {
		t.Errorf("exit %d, stderr %q; want 1 naming the attribute", code, stderr.String())
	}
	if !strings.Contains(readLog(t, path), "ERROR - ") {
		t.Error("no ERROR log line")
	}
	// Without the attribute the same flag lets it start.
	s, _ := startSim(t, []byte(`<Preferences Fine="1"/>`), "Broken")
	identity(t, s)
}

func TestRefusesNonLoopback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Preferences.xml")
	_, err := Start(Options{PrefsPath: path, Listen: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Start on 0.0.0.0: %v, want a loopback error", err)
	}
}

func TestStopWritesSettingsLikePMS(t *testing.T) {
	in := "<?xml version=\"1.0\"?>\r\n<Preferences  Z=\"last&#10;line\" A='1' M=\"a&lt;b\" PlexOnlineToken=\"stale-xyz\" />"
	path := filepath.Join(t.TempDir(), "Preferences.xml")
	if err := os.WriteFile(path, []byte(in), 0o640); err != nil {
		t.Fatal(err)
	}
	s, err := Start(Options{PrefsPath: path, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Preferences Z=\"last&#10;line\" A=\"1\" M=\"a&lt;b\" PlexOnlineToken=\"stale-xyz\"/>\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("written file (-want +got):\n%s", diff)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after rewrite %v, want 0640 kept", fi.Mode().Perm())
	}
	if logText := readLog(t, path); !strings.Contains(logText, "ERROR - MyPlex: Error 401") || strings.Contains(logText, "stale-xyz") {
		t.Errorf("want a MyPlex 401 line for the stale token and no token in the log:\n%s", logText)
	}
}

func TestMissingFileStartsFresh(t *testing.T) {
	s, path := startSim(t, nil, "")
	id := identity(t, s)
	if id.Claimed != "0" || len(id.MachineIdentifier) != 40 {
		t.Errorf("identity of a new server: %+v", id)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if st := readPrefs(t, path); st.get(attrProcMach) != id.MachineIdentifier {
		t.Errorf("saved ProcessedMachineIdentifier %q, served %q", st.get(attrProcMach), id.MachineIdentifier)
	}
}

func FuzzParsePrefs(f *testing.F) {
	f.Add([]byte(signedIn))
	f.Add([]byte(`<Preferences/>`))
	f.Add([]byte("<Preferences A=\"x&#9;y\" xmlns:p=\"u\" p:B='2'/>"))
	f.Add([]byte(`<Preferences><Child/></Preferences>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parsePrefs(data)
		if err != nil {
			if !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("error not marked malformed: %v", err)
			}
			return
		}
		// What the simulator writes, it must read back unchanged.
		again, err := parsePrefs(st.render())
		if err != nil {
			t.Fatalf("cannot read back its own rendering: %v", err)
		}
		if !cmp.Equal(st.attrs, again.attrs, cmp.AllowUnexported(attr{})) {
			t.Fatalf("round trip changed the settings:\n%v\n%v", st.attrs, again.attrs)
		}
	})
}
