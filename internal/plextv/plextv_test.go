package plextv

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, srv *httptest.Server, method, path string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestUserAcceptedThenRevoked(t *testing.T) {
	s := New()
	a := s.AddAccount("alice", "alice@example.com")
	s.Honour(a, "tok-1", Device{ClientIdentifier: "app-1", Product: "app"})
	srv := httptest.NewServer(s)
	defer srv.Close()
	status, body := do(t, srv, "GET", "/api/v2/user", map[string]string{"X-Plex-Token": "tok-1"})
	if status != 200 || body["username"] != "alice" || body["email"] != "alice@example.com" || body["uuid"] != a.UUID || body["id"] != float64(a.ID) {
		t.Fatalf("honoured token: %d %v", status, body)
	}
	if status, _ := do(t, srv, "GET", "/api/v2/user", map[string]string{"X-Plex-Token": "tok-2"}); status != 401 {
		t.Errorf("unknown token: %d, want 401", status)
	}
	if n := s.Revoke("alice"); n != 1 {
		t.Errorf("Revoke = %d, want 1", n)
	}
	if status, _ := do(t, srv, "GET", "/api/v2/user", map[string]string{"X-Plex-Token": "tok-1"}); status != 401 {
		t.Errorf("revoked token: %d, want 401", status)
	}
}

func TestLinkCodeClaimTokenAndExchange(t *testing.T) {
	s := New()
	s.AddAccount("alice", "alice@example.com")
	codes := make(chan string, 1)
	s.OnPin = func(code string) { codes <- code }
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := map[string]string{"X-Plex-Client-Identifier": "c-1", "X-Plex-Product": "plexform"}

	if status, _ := do(t, srv, "POST", "/api/v2/pins", map[string]string{"X-Plex-Product": "plexform"}); status != 400 {
		t.Errorf("a PIN without a client identifier: %d, want 400", status)
	}
	status, pin := do(t, srv, "POST", "/api/v2/pins", client)
	code, _ := pin["code"].(string)
	if status != 201 || len(code) != 4 || pin["authToken"] != nil {
		t.Fatalf("new PIN: %d %v", status, pin)
	}
	if got := <-codes; got != code {
		t.Errorf("OnPin got %q, want %q", got, code)
	}
	id := "/api/v2/pins/" + strconv.Itoa(int(pin["id"].(float64)))
	if status, _ := do(t, srv, "GET", id, map[string]string{"X-Plex-Client-Identifier": "other"}); status != 404 {
		t.Errorf("another client's PIN: %d, want 404", status)
	}
	if _, p := do(t, srv, "GET", id, client); p["authToken"] != nil {
		t.Error("the PIN has a token before its code was entered")
	}
	if err := s.Enter("nope", nil); err == nil {
		t.Error("Enter of an unknown code succeeded")
	}
	if err := s.Enter(strings.ToLower(code), nil); err != nil {
		t.Fatal(err)
	}
	_, p := do(t, srv, "GET", id, client)
	token, _ := p["authToken"].(string)
	if token == "" || !s.Honoured(token) {
		t.Fatalf("after Enter the PIN's token is %d bytes, honoured %v", len(token), s.Honoured(token))
	}

	status, claim := do(t, srv, "GET", "/api/claim/token.json", map[string]string{"X-Plex-Token": token})
	claimToken, _ := claim["token"].(string)
	if status != 200 || !strings.HasPrefix(claimToken, "claim-") || len(claimToken) != 26 {
		t.Fatalf("claim token: %d, %d bytes", status, len(claimToken))
	}
	if status, _ := do(t, srv, "GET", "/api/claim/token.json", map[string]string{"X-Plex-Token": "bad"}); status != 401 {
		t.Errorf("claim token with a bad account token: %d, want 401", status)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/claim/exchange?token="+claimToken, nil)
	req.Header.Set("X-Plex-Client-Identifier", "server-1")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("exchange: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = srv.Client().Do(req)
	if err != nil || resp.StatusCode != 401 {
		t.Errorf("a used claim token: %v %v, want 401", resp, err)
	}
	resp.Body.Close()
	if n := s.Revoke("alice"); n != 2 {
		t.Errorf("Revoke after a link and a claim: %d tokens, want 2", n)
	}
}

// A code entered as another account (POST /__plextv/enter?username=) gives a token of
// that account, which /api/v2/user names.
func TestEnterAsAnotherAccount(t *testing.T) {
	s := New()
	s.AddAccount("alice", "alice@example.com")
	s.AddAccount("mallory", "mallory@example.com")
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := map[string]string{"X-Plex-Client-Identifier": "c-1", "X-Plex-Product": "plexform"}
	_, pin := do(t, srv, "POST", "/api/v2/pins", client)
	code, _ := pin["code"].(string)
	enter := func(username string) int {
		resp, err := srv.Client().Post(srv.URL+"/__plextv/enter?code="+code+"&username="+username, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := enter("nobody"); status != 404 {
		t.Errorf("enter as an unknown account: %d, want 404", status)
	}
	if status := enter("mallory"); status != 200 {
		t.Fatalf("enter as mallory: %d", status)
	}
	_, p := do(t, srv, "GET", "/api/v2/pins/"+strconv.Itoa(int(pin["id"].(float64))), client)
	token, _ := p["authToken"].(string)
	if status, user := do(t, srv, "GET", "/api/v2/user", map[string]string{"X-Plex-Token": token}); status != 200 || user["username"] != "mallory" {
		t.Errorf("the entered code's token belongs to %v (%d), want mallory", user["username"], status)
	}
}

func TestExpiredPinIsGone(t *testing.T) {
	s := New()
	s.AddAccount("alice", "a@example.com")
	s.PinLifetime = time.Nanosecond
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := map[string]string{"X-Plex-Client-Identifier": "c", "X-Plex-Product": "p"}
	_, pin := do(t, srv, "POST", "/api/v2/pins", client)
	time.Sleep(time.Millisecond)
	if status, _ := do(t, srv, "GET", "/api/v2/pins/"+strconv.Itoa(int(pin["id"].(float64))), client); status != 404 {
		t.Errorf("an expired PIN: %d, want 404", status)
	}
	if err := s.Enter(pin["code"].(string), nil); err == nil {
		t.Error("Enter of an expired code succeeded")
	}
}

func TestAccountsFileAndLoopbackOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts")
	if err := os.WriteFile(path, []byte("# test\nalice alice@example.com tok-a tok-b tok-s@pmi\n\nbob bob@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := New()
	if err := s.LoadAccounts(path); err != nil {
		t.Fatal(err)
	}
	if !s.Honoured("tok-a") || !s.Honoured("tok-b") || s.Honoured("bob@example.com") || !s.Honoured("tok-s") {
		t.Error("the accounts file was not read as username email tokens")
	}
	if err := os.WriteFile(path, []byte("lonely\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := New().LoadAccounts(path); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("a line without an e-mail: %v, want an error naming line 1", err)
	}
	if _, _, err := New().Listen("0.0.0.0:0"); err == nil {
		t.Error("Listen on 0.0.0.0 succeeded; the stand-in must serve loopback only")
	}
}

// plexServer is a server's device as PMS states it.
var plexServer = Device{ClientIdentifier: "pmi-1", Product: ServerProduct, Version: "1.41.0.8992-8463ad060", Provides: "server", Platform: "Linux"}

func serverHeaders(token string) map[string]string {
	return map[string]string{"X-Plex-Token": token, "X-Plex-Client-Identifier": plexServer.ClientIdentifier, "X-Plex-Product": plexServer.Product,
		"X-Plex-Version": plexServer.Version, "X-Plex-Provides": plexServer.Provides, "X-Plex-Platform": plexServer.Platform}
}

// A server's token used by another client rewrites the server's device, as plex.tv did
// to the servers of Kometa's users (Kometa-Team/Kometa#2894); under the server's own
// identity it changes nothing.
func TestAServersTokenUnderAnotherIdentityRewritesItsDevice(t *testing.T) {
	s := New()
	a := s.AddAccount("alice", "alice@example.com")
	s.Honour(a, "srv", plexServer)
	srv := httptest.NewServer(s)
	defer srv.Close()
	if status, _ := do(t, srv, "GET", "/api/v2/user", serverHeaders("srv")); status != 200 {
		t.Fatalf("the server's own check: %d", status)
	}
	if err := s.CheckDevice(a, plexServer); err != nil {
		t.Errorf("after a request as the server itself: %v", err)
	}
	if p := s.PhantomServers(a); len(p) != 0 {
		t.Errorf("a request as the server itself made phantom devices %q", p)
	}
	do(t, srv, "GET", "/api/v2/user", map[string]string{"X-Plex-Token": "srv", "X-Plex-Client-Identifier": "kometa-1",
		"X-Plex-Product": "PlexAPI", "X-Plex-Version": "4.17.2", "X-Plex-Provides": "controller"})
	if p := s.PhantomServers(a); len(p) != 1 || p[0] != "kometa-1" {
		t.Errorf("phantom devices %q, want one under kometa-1", p)
	}
	if phantom, _ := s.DeviceOf(a, "kometa-1"); phantom.Name != ServerProduct || phantom.Version != "4.17.2" {
		t.Errorf("the phantom device is %+v, want named %q with the other client's version", phantom, ServerProduct)
	}
	got, _ := s.DeviceOf(a, plexServer.ClientIdentifier)
	if got.Product != "PlexAPI" || got.Provides != "controller" || got.Version != "4.17.2" {
		t.Errorf("after a request by another client with the server's token the device is %+v; want it rewritten", got)
	}
	if s.CheckDevice(a, plexServer) == nil {
		t.Error("CheckDevice did not see the rewrite")
	}
}

// One token per device: a code entered again for the same client rotates the old token
// out; sign-out ends a token; registering a device key expires the legacy token.
func TestTokensRotateSignOutAndJWKExpiry(t *testing.T) {
	s := New()
	a := s.AddAccount("alice", "alice@example.com")
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := map[string]string{"X-Plex-Client-Identifier": "c-1", "X-Plex-Product": "plexform"}
	link := func() string {
		_, pin := do(t, srv, "POST", "/api/v2/pins", client)
		if err := s.Enter(pin["code"].(string), a); err != nil {
			t.Fatal(err)
		}
		_, p := do(t, srv, "GET", "/api/v2/pins/"+strconv.Itoa(int(pin["id"].(float64))), client)
		return p["authToken"].(string)
	}
	first := link()
	second := link()
	if s.Honoured(first) || !s.Honoured(second) {
		t.Errorf("after a second link of the same client: first honoured %v, second %v; want only the second", s.Honoured(first), s.Honoured(second))
	}
	if d, ok := s.DeviceOf(a, "c-1"); !ok || d.Product != "plexform" {
		t.Errorf("the linked client's device: %+v %v", d, ok)
	}
	if status, _ := do(t, srv, "DELETE", "/api/v2/users/signout", map[string]string{"X-Plex-Token": second}); status != 204 || s.Honoured(second) {
		t.Errorf("sign-out: %d, still honoured %v", status, s.Honoured(second))
	}
	s.Honour(a, "legacy", Device{ClientIdentifier: "app", Product: "app"})
	if status, _ := do(t, srv, "POST", "/api/v2/auth/jwk", map[string]string{"X-Plex-Token": "legacy"}); status != 204 || s.Honoured("legacy") {
		t.Errorf("registering a device key: %d; the legacy token still honoured: %v (developer.plex.tv: it expires)", status, s.Honoured("legacy"))
	}
	if n := s.RequestsUnder("/api/v2/auth/"); n != 1 {
		t.Errorf("RequestsUnder(/api/v2/auth/) = %d, want 1", n)
	}
}

func TestExpiredInvalidAndRateLimited(t *testing.T) {
	s := New()
	a := s.AddAccount("alice", "alice@example.com")
	s.Honour(a, "t-498", Device{ClientIdentifier: "x", Product: "app"})
	s.Honour(a, "t-422", Device{ClientIdentifier: "y", Product: "app"})
	s.Expire("t-498")
	s.Invalidate("t-422")
	srv := httptest.NewServer(s)
	defer srv.Close()
	if status, _ := do(t, srv, "GET", "/api/v2/user", map[string]string{"X-Plex-Token": "t-498"}); status != 498 {
		t.Errorf("an expired token: %d, want 498", status)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v2/user", nil)
	req.Header.Set("X-Plex-Token", "t-422")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 200)
	n, _ := resp.Body.Read(body)
	resp.Body.Close()
	if resp.StatusCode != 422 || !strings.Contains(string(body[:n]), "Invalid token") {
		t.Errorf("an invalid token: %d %q, want 422 Invalid token", resp.StatusCode, body[:n])
	}
	s.RateLimit = 2
	var last int
	for range 3 {
		last, _ = do(t, srv, "GET", "/api/v2/user", map[string]string{"X-Plex-Client-Identifier": "busy"})
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the third request in a minute with a limit of 2: %d, want 429", last)
	}
}

// The claim exchange's XML answer stays XML whatever the account is named.
func TestExchangeAnswerIsXMLForAnyName(t *testing.T) {
	s := New()
	a := s.AddAccount(`jo&ann"<x>`, "jo&ann@example.com")
	s.Honour(a, "acct", Device{ClientIdentifier: "app-1", Product: "app"})
	srv := httptest.NewServer(s)
	defer srv.Close()
	_, claim := do(t, srv, "GET", "/api/claim/token.json", map[string]string{"X-Plex-Token": "acct"})
	req, _ := http.NewRequest("POST", srv.URL+"/api/claim/exchange?token="+claim["token"].(string), nil)
	req.Header.Set("X-Plex-Client-Identifier", "server-1")
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("exchange: %v %v", resp, err)
	}
	defer resp.Body.Close()
	var doc struct {
		Username string `xml:"username,attr"`
		Email    string `xml:"email,attr"`
		Token    string `xml:"authentication-token"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("the exchange's answer is not XML: %v", err)
	}
	if doc.Username != a.Username || doc.Email != a.Email || !s.Honoured(doc.Token) {
		t.Errorf("the answer names %q %q, token honoured %v", doc.Username, doc.Email, s.Honoured(doc.Token))
	}
}

// GET /__plextv/requests counts the requests made so far, by "METHOD /path" or by path
// prefix, so a testscript can prove a request was (or was not) made.
func TestRequestsEndpoint(t *testing.T) {
	s := New()
	srv := httptest.NewServer(s)
	defer srv.Close()
	do(t, srv, "POST", "/api/v2/pins", map[string]string{"X-Plex-Client-Identifier": "c-1", "X-Plex-Product": "plexform"})
	count := func(query string) string {
		resp, err := srv.Client().Get(srv.URL + "/__plextv/requests?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	if n := count("key=POST%20/api/v2/pins"); n != "1" {
		t.Errorf("requests of POST /api/v2/pins: %s, want 1", n)
	}
	if n := count("under=/api/v2/auth/"); n != "0" {
		t.Errorf("requests under /api/v2/auth/: %s, want 0", n)
	}
}
