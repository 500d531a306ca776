package signin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/xmlattrs"
)

// settlingSignin is a plex_signin (offline: the server's word only) over a server that
// answers /myplex/account with states[0], then states[1], ... (the last one from then
// on), and the number of questions it was asked.
func settlingSignin(t *testing.T, states ...string) (*Signin, *atomic.Int32) {
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
	r := &plan.Resource{Name: "signin", Kind: plan.KindPlexSignin, URL: peer.URL, Timeout: 20 * time.Second,
		Signin: &plan.Signin{State: plan.SigninWorking, Store: "prefs", PlexTV: plan.DefaultPlexTV, Relink: plan.Relink{LinkCode: true}}}
	return &Signin{Resource: r, Store: xmlattrs.New(prefs, "Preferences"), StoreName: "prefs",
		Server: &Server{URL: r.URL, Timeout: r.Timeout}, PlexTV: &PlexTV{BaseURL: r.Signin.PlexTV, Timeout: r.Timeout}}, &asked
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
			if now := s.settledVerdict(context.Background()); now.Verdict != plan.SigninWorking {
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
	if now := s.settledVerdict(context.Background()); now.Verdict != plan.SigninBroken || !now.Revoked {
		t.Errorf("verdict %s (%s), want broken", now.Verdict, now.Reason)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the server was asked %d times, want once", n)
	}
}
