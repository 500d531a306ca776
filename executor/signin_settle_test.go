package executor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
)

// settlingSignin is a plex_signin (offline: the server's word only) over a server that
// answers /myplex/account with states[0], then states[1], ... (the last one from then
// on), and the number of questions it was asked.
func settlingSignin(t *testing.T, states ...string) (*host.Signin, *atomic.Int32) {
	t.Helper()
	var asked atomic.Int32
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/myplex/account" {
			http.NotFound(w, r)
			return
		}
		n := int(asked.Add(1)) - 1
		state := states[min(n, len(states)-1)]
		if state == "503" {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, `<MyPlex signInState=%q/>`, state)
	}))
	t.Cleanup(peer.Close)
	dir := t.TempDir()
	prefs := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(prefs, []byte(`<Preferences ProcessedMachineIdentifier="pmi-1" PlexOnlineToken="new-TOKEN-1234567890" PlexOnlineUsername="jane"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: %q}
  - {name: plex, kind: service, manager: exec, start: ["true"], stop: ["true"], status: ["true"]}
  - {name: signin, kind: plex_signin, store: prefs, service: plex, url: %q, relink: {link_code: true}, timeout: 20s}
`, prefs, peer.URL)
	p, err := plan.Decode(filepath.Join(dir, "plan.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.Open(p, host.Options{GOOS: runtime.GOOS})
	if err != nil {
		t.Fatal(err)
	}
	return h.Signins[0], &asked
}

// After a claim, a verdict that is unknown (the server answering 503) or broken only by
// a server that has not settled is asked again; it counts once it settles.
func TestSettledVerdictAsksAgainUntilTheServerSettles(t *testing.T) {
	for name, states := range map[string][]string{
		"unknown, then working":     {"503", "503", "ok"},
		"not settled, then working": {"", "pending", "ok"},
	} {
		t.Run(name, func(t *testing.T) {
			s, asked := settlingSignin(t, states...)
			if now := settledVerdict(context.Background(), s); now.Verdict != plan.SigninWorking {
				t.Errorf("verdict %s (%s; %q), want working once the server settled", now.Verdict, now.Reason, now.Evidence)
			}
			if n := asked.Load(); n != 3 {
				t.Errorf("the server was asked %d times, want 3", n)
			}
		})
	}
}

// A rejection is final at once: the server reporting signInState="invalid" is not asked
// again, and the re-link is rolled back.
func TestSettledVerdictTakesARejectionAtOnce(t *testing.T) {
	s, asked := settlingSignin(t, "invalid", "ok")
	if now := settledVerdict(context.Background(), s); now.Verdict != plan.SigninBroken || !now.Revoked {
		t.Errorf("verdict %s (%s), want broken", now.Verdict, now.Reason)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the server was asked %d times, want once", n)
	}
}
