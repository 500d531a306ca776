package plexsim

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
)

// TestSignalRewritesPreferences runs the real binary: an edit made to Preferences.xml
// while it runs is lost when it stops, because it writes back what it read at start.
func TestSignalRewritesPreferences(t *testing.T) {
	bin := plexsimtest.Build(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			prefs := filepath.Join(dir, "Preferences.xml")
			addrFile := filepath.Join(dir, "addr")
			if err := os.WriteFile(prefs, []byte(signedIn), 0o600); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "-prefs", prefs, "-listen", "127.0.0.1:0", "-addr-file", addrFile)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

			addr := plexsimtest.WaitAddr(t, addrFile)
			if id, err := plexsimtest.GetIdentity(addr); err != nil || id.Claimed != "1" {
				t.Fatalf("identity before the edit: %+v, %v", id, err)
			}
			// The manual fix done wrong: delete the token while the server runs.
			edited := strings.Replace(signedIn, ` PlexOnlineToken="tok-secret-1"`, "", 1)
			if err := os.WriteFile(prefs, []byte(edited), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit after %v: %v; stderr: %s", sig, err, stderr.String())
			}

			st := readPrefs(t, prefs)
			if st.get(attrToken) != "tok-secret-1" {
				t.Error("the edit survived the shutdown; PMS would have put the token back")
			}
			if st.get("FriendlyName") != `den & "hall"` || st.get(attrUsername) != "alice" {
				t.Errorf("other settings changed: %v", st.attrs)
			}
			if _, err := os.Stat(addrFile); !os.IsNotExist(err) {
				t.Errorf("address file left behind after a clean stop: %v", err)
			}
			if logText := readLog(t, prefs); !strings.Contains(logText, "INFO - Plex Media Server v"+Version+" - shut down") {
				t.Errorf("no shutdown line in the log:\n%s", logText)
			}
		})
	}
}
