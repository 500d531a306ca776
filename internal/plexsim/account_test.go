package plexsim

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/plextv"
)

// myplexAccount asks GET /myplex/account with token and returns the status and the
// signInState of the answer.
func myplexAccount(t *testing.T, s *Server, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+s.Addr()+"/myplex/account", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Plex-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc struct {
		SignInState string `xml:"signInState,attr"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("/myplex/account answered %q: %v", body, err)
		}
	}
	return resp.StatusCode, doc.SignInState
}

func TestMyPlexAccountAnswersOnlyTheServersToken(t *testing.T) {
	s, _ := startSim(t, []byte(signedIn), "")
	if status, state := myplexAccount(t, s, "tok-secret-1"); status != 200 || state != "ok" {
		t.Errorf("with the server's token: %d signInState=%q, want 200 ok", status, state)
	}
	for _, other := range []string{"", "tok-secret-2", "tok-secret-"} {
		if status, _ := myplexAccount(t, s, other); status != http.StatusUnauthorized {
			t.Errorf("with token %q: %d, want 401", other, status)
		}
	}
	stale, _ := startSim(t, []byte(`<Preferences ProcessedMachineIdentifier="p" PlexOnlineToken="stale-1"/>`), "")
	if status, state := myplexAccount(t, stale, "stale-1"); status != 200 || state != "invalid" {
		t.Errorf("a stale token: %d signInState=%q, want 200 invalid", status, state)
	}
	unclaimed, _ := startSim(t, []byte(`<Preferences ProcessedMachineIdentifier="p"/>`), "")
	if status, _ := myplexAccount(t, unclaimed, ""); status != http.StatusUnauthorized {
		t.Errorf("an unclaimed server without a token: %d, want 401", status)
	}
}

// A claim through the plex.tv stand-in gives the server a token plex.tv knows; it is
// saved at once, and revoking it at plex.tv turns signInState to invalid.
func TestClaimThroughPlexTVIsSavedAtOnceAndCanBeRevoked(t *testing.T) {
	tv := plextv.New()
	account := tv.AddAccount("bob", "bob@example.com")
	tv.Honour(account, "bob-app-token", plextv.Device{ClientIdentifier: "bob-app", Product: "app"})
	url, stop, err := tv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	claim := getJSON(t, url+"/api/claim/token.json", "bob-app-token")["token"]

	dir := t.TempDir()
	path := dir + "/Preferences.xml"
	writeFile(t, path, `<Preferences ProcessedMachineIdentifier="pm" FriendlyName="den"/>`)
	s, err := Start(Options{PrefsPath: path, Listen: "127.0.0.1:0", PlexTV: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if got := post(t, s, claim); got != http.StatusOK {
		t.Fatalf("claim: %d", got)
	}
	// Saved before any stop.
	st := readPrefs(t, path)
	token := st.get(attrToken)
	if token == "" || !tv.Honoured(token) || st.get(attrUsername) != "bob" || st.get(attrMail) != "bob@example.com" {
		t.Fatalf("saved at once: token known to plex.tv %v, user %q, mail %q", tv.Honoured(token), st.get(attrUsername), st.get(attrMail))
	}
	if got := post(t, s, claim); got != http.StatusBadRequest {
		t.Errorf("second claim: %d, want 400", got)
	}
	if status, state := myplexAccount(t, s, token); status != 200 || state != "ok" {
		t.Errorf("after the claim: %d %q, want 200 ok", status, state)
	}
	// The server's claim and its own checks speak as the server: plex.tv records the
	// device as PMS does.
	server := plextv.Device{ClientIdentifier: "pm", Product: plextv.ServerProduct, Version: Version, Provides: "server"}
	if err := tv.CheckDevice(account, server); err != nil {
		t.Error(err)
	}
	for name, mark := range map[string]func(string){"expired (498)": tv.Expire, "invalid (422)": tv.Invalidate} {
		mark(token)
		if status, state := myplexAccount(t, s, token); status != 200 || state != "invalid" {
			t.Errorf("a token plex.tv answers %s: %d %q, want 200 invalid", name, status, state)
		}
	}
	if n := tv.Revoke("bob"); n != 1 {
		t.Errorf("Revoke: %d tokens, want 1 (the app's; the server's already fails)", n)
	}
	if status, state := myplexAccount(t, s, token); status != 200 || state != "invalid" {
		t.Errorf("after the revocation: %d %q, want 200 invalid", status, state)
	}
	if log := readLog(t, path); strings.Contains(log, token) || strings.Contains(log, claim) || strings.Contains(log, "bob") {
		t.Error("the log holds the token, the claim token or the user name")
	}
}

func TestClaimRefusedByPlexTV(t *testing.T) {
	tv := plextv.New()
	url, stop, err := tv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	path := t.TempDir() + "/Preferences.xml"
	writeFile(t, path, `<Preferences ProcessedMachineIdentifier="pm"/>`)
	s, err := Start(Options{PrefsPath: path, Listen: "127.0.0.1:0", PlexTV: url})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if got := post(t, s, "claim-Abc_def-0123456789xy"); got != http.StatusUnauthorized {
		t.Errorf("a claim token plex.tv never made: %d, want 401", got)
	}
	if identity(t, s).Claimed != "0" {
		t.Error("a refused claim claimed the server")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func getJSON(t *testing.T, url, token string) map[string]string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Plex-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("GET %s: status %d: %v", url, resp.StatusCode, err)
	}
	return out
}
