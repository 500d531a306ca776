//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/doctor"
	"github.com/plexform/plexform/internal/plexsim"
)

// The fixture's secrets: no output of doctor may hold any of them.
const (
	fixtureToken = "Fx7tokAbCdEf12345678"
	fixtureMail  = "fixture-mail@example.invalid"
	fixtureUser  = "fixture-user"
	fixtureMID   = "5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b"
)

const debianPMS = "/var/lib/plexmediaserver/Library/Application Support/Plex Media Server"

func fixturePrefs(token string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<Preferences MachineIdentifier="0f3e2d1c-aaaa-bbbb-cccc-123456789abc" ProcessedMachineIdentifier="%s" PlexOnlineHome="1" PlexOnlineMail="%s" PlexOnlineToken="%s" PlexOnlineUsername="%s" FriendlyName="den"/>
`, fixtureMID, fixtureMail, token, fixtureUser)
}

// debianHost builds a Debian host: the package's unit (User=plex), a drop-in, and
// Preferences.xml. plexUID is the uid the tree's /etc/passwd gives plex.
func debianHost(t *testing.T, plexUID, plexGID int, prefs string) (root, prefsPath string) {
	t.Helper()
	root = t.TempDir()
	files := map[string]string{
		"/lib/systemd/system/plexmediaserver.service":                 "[Service]\nEnvironment=PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/var/lib/plexmediaserver/Library/Application\\x20Support\nUser=plex\nGroup=plex\n",
		"/etc/systemd/system/plexmediaserver.service.d/override.conf": "[Service]\nEnvironment=LANG=en_US.UTF-8\n",
		"/etc/passwd":                  fmt.Sprintf("root:x:0:0:root:/root:/bin/bash\nplex:x:%d:%d::/var/lib/plexmediaserver:/usr/sbin/nologin\n", plexUID, plexGID),
		"/etc/group":                   fmt.Sprintf("root:x:0:\nplex:x:%d:\n", plexGID),
		debianPMS + "/Preferences.xml": prefs,
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root, filepath.Join(root, debianPMS, "Preferences.xml")
}

// runDoctorCmd runs doctor in-process, human and -json, and checks neither output
// leaks a fixture secret. It returns the exit code and the human output.
func runDoctorCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var code int
	var human string
	for _, asJSON := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		a := append([]string{"doctor"}, args...)
		if asJSON {
			a = append(a, "-json")
		}
		c := run(a, &cliEnv{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) (string, bool) { return "", false }})
		out := stdout.String() + stderr.String()
		for _, secret := range []string{fixtureToken, fixtureMail, fixtureUser, fixtureMID} {
			if strings.Contains(out, secret) {
				t.Fatalf("doctor (json %v) printed a fixture secret (%d bytes)", asJSON, len(secret))
			}
		}
		if asJSON {
			var rep doctor.Report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("doctor -json printed no JSON document: %v\n%s", err, stdout.String())
			}
			if len(rep.Settings.Looked) == 0 {
				t.Errorf("doctor -json lists no place looked at")
			}
			if c != code {
				t.Errorf("doctor exits %d with -json and %d without", c, code)
			}
			continue
		}
		code, human = c, stdout.String()
	}
	return code, human
}

func TestDoctorRootOwnedPreferences(t *testing.T) {
	root, prefs := debianHost(t, 999, 998, fixturePrefs(fixtureToken))
	if os.Geteuid() == 0 {
		if err := os.Chown(prefs, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(prefs, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runDoctorCmd(t, "-root", root)
	if code != exitError {
		t.Errorf("doctor exit = %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"[problem]     ownership: " + prefs,
		"plex cannot read and write it",
		"fix: chown plex:plex '" + prefs + "'",
		"[ok]          settings: xml_attributes " + prefs,
		"found by: PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR in the systemd unit " + root + "/lib/systemd/system/plexmediaserver.service",
		"[info]        service: systemd, runs as plex:plex; state not checked under -root",
		"present: PlexOnlineToken=(masked)",
		"signed in (PlexOnlineToken present)",
		"[not checked] server: /identity not asked under -root",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if os.Geteuid() == 0 && !strings.Contains(out, "owned by root:root (0:0), mode 0644") {
		t.Errorf("doctor does not name the root owner:\n%s", out)
	}
}

// startSim runs the simulator on the tree's Preferences.xml and returns its URL.
func startSim(t *testing.T, prefs string) string {
	t.Helper()
	sim, err := plexsim.Start(plexsim.Options{PrefsPath: prefs, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start the simulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Stop() })
	return "http://" + sim.Addr()
}

// healthyHost gives the tree's plex account the owner of the file: the test's own uid,
// or, as root, a real other uid.
func healthyHost(t *testing.T, token string) (root, prefs string) {
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 999, 998
	}
	root, prefs = debianHost(t, uid, gid, fixturePrefs(token))
	if err := os.Chown(prefs, uid, gid); err != nil {
		t.Fatal(err)
	}
	return root, prefs
}

func TestDoctorHealthy(t *testing.T) {
	root, prefs := healthyHost(t, fixtureToken)
	url := startSim(t, prefs)
	code, out := runDoctorCmd(t, "-root", root, "-url", url)
	if code != exitOK {
		t.Errorf("doctor exit = %d, want 0\n%s", code, out)
	}
	for _, want := range []string{
		"[ok]          server: " + url + "/identity answers: version " + plexsim.Version + `, claimed="1"`,
		"[ok]          ownership: ",
		"[ok]          log: no sign-in errors",
		"[info]        cause: server owned by another account: the server is claimed",
		"`plexform init` writes a plan for this host, then `plexform apply`",
		"[not checked] cause: no internet",
		"No problems found.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}

// A token plex.tv no longer honours: the simulator logs a MyPlex 401, as PMS does.
func TestDoctorReportsSignInErrorsMasked(t *testing.T) {
	staleToken := "stale" + fixtureToken[5:]
	root, prefs := healthyHost(t, staleToken)
	url := startSim(t, prefs)
	logFile := filepath.Join(filepath.Dir(prefs), "Logs", "Plex Media Server.log")
	f, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "Jan 01, 2025 10:00:00.000 [1] ERROR - MyPlex: Error 401 (Unauthorized) for user %s <%s> with X-Plex-Token=%s\n", fixtureUser, fixtureMail, fixtureToken)
	f.Close()
	code, out := runDoctorCmd(t, "-root", root, "-url", url)
	if code != exitError {
		t.Errorf("doctor exit = %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "[problem]     log: ") || !strings.Contains(out, "X-Plex-Token=(masked)") || !strings.Contains(out, "MyPlex") {
		t.Errorf("doctor does not show the sign-in errors, masked:\n%s", out)
	}
	if strings.Contains(out, staleToken) {
		t.Errorf("doctor printed the stored token")
	}
}

func TestDoctorLargeWAL(t *testing.T) {
	root, prefs := healthyHost(t, fixtureToken)
	dbDir := filepath.Join(filepath.Dir(prefs), "Plug-in Support", "Databases")
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dbDir, "com.plexapp.plugins.library.db")
	for name, n := range map[string]int{db: 4096, db + "-wal": 8192, db + "-shm": 32768} {
		if err := os.WriteFile(name, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out := runDoctorCmd(t, "-root", root, "-url", startSim(t, prefs))
	if code != exitError {
		t.Errorf("doctor exit = %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"[problem]     database: " + db + ": 4.0 KiB", "-wal: 8.0 KiB", "-shm: 32.0 KiB", "unclean shutdown", "PRAGMA integrity_check"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}

func TestDoctorEmptyTokenIsNotSignedIn(t *testing.T) {
	root, prefs := healthyHost(t, "")
	code, out := runDoctorCmd(t, "-root", root, "-url", startSim(t, prefs))
	if code != exitOK || !strings.Contains(out, "PlexOnlineToken is empty: not signed in") || !strings.Contains(out, `claimed="0"`) {
		t.Errorf("doctor exit %d:\n%s", code, out)
	}
}
