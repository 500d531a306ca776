package signin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plextv"
	"github.com/plexform/plexform/stores"
)

const accountToken = "acct-TOKEN-0123456789"

const serverToken = "srv-TOKEN-0123456789"

// theServer is a server's identity as its /identity and settings give it.
var theServer = ServerIdentity{ClientIdentifier: "pmi-test", Version: "1.41.0.8992-8463ad060"}

// serverDevice is how plex.tv records theServer.
var serverDevice = plextv.Device{ClientIdentifier: theServer.ClientIdentifier, Product: plextv.ServerProduct, Version: theServer.Version, Provides: "server"}

// standIn runs the plex.tv stand-in with one account, jane, whose app token is
// accountToken and whose server's token is serverToken.
func standIn(t *testing.T) (*plextv.Server, *PlexTV) {
	t.Helper()
	tv := plextv.New()
	jane := tv.AddAccount("jane", "jane@example.com")
	tv.Honour(jane, accountToken, plextv.Device{ClientIdentifier: "jane-app", Product: "app"})
	tv.Honour(jane, serverToken, serverDevice)
	srv := httptest.NewServer(tv)
	t.Cleanup(srv.Close)
	return tv, &PlexTV{BaseURL: srv.URL, ClientIdentifier: "test-client", PollEvery: 10 * time.Millisecond}
}

// assertServerDevice fails when plex.tv's record of jane's server (account 1, the first
// the stand-in made) is not as the server registered it.
func assertServerDevice(t *testing.T, tv *plextv.Server) {
	t.Helper()
	if err := tv.CheckDevice(&plextv.Account{ID: 1}, serverDevice); err != nil {
		t.Errorf("the server's device at plex.tv: %v", err)
	}
}

func TestCheckToken(t *testing.T) {
	tv, p := standIn(t)
	ctx := context.Background()
	if err := p.CheckToken(ctx, serverToken, theServer); err != nil {
		t.Errorf("an honoured token: %v", err)
	}
	assertServerDevice(t, tv) // the check left the server's device as it was
	tv.Revoke("jane")
	err := p.CheckToken(ctx, serverToken, theServer)
	if !errors.Is(err, ErrRevoked) {
		t.Errorf("a revoked token: %v, want ErrRevoked", err)
	}
	assertNoSecret(t, err, serverToken)
	if err := p.CheckToken(ctx, "", theServer); !errors.Is(err, ErrRevoked) {
		t.Errorf("no token: %v, want ErrRevoked", err)
	}
	dead := &PlexTV{BaseURL: "http://" + deadAddress(t), ClientIdentifier: "c"}
	if err := dead.CheckToken(ctx, serverToken, theServer); !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrRevoked) {
		t.Errorf("plex.tv unreachable: %v, want ErrUnreachable", err)
	} else {
		assertNoSecret(t, err, serverToken)
	}
}

// Every verdict follows what plex.tv answers: 401, 498 and 422 "Invalid token" refuse
// the token; a 200 counts only with a plex.tv user in it; anything else is unknown.
func TestCheckTokenVerdicts(t *testing.T) {
	ctx := context.Background()
	const user = `{"id":7,"uuid":"0123abcd","username":"jane","authToken":"` + serverToken + `"}`
	for _, c := range []struct {
		name, body string
		status     int
		revoked    bool
		accepted   bool
		says       string
	}{
		{"401", `{"errors":[{"code":1001}]}`, 401, true, false, "HTTP 401"},
		{"498 expired", `{"errors":[{"code":1099,"message":"Token expired"}]}`, 498, true, false, "HTTP 498"},
		{"422 Invalid token", "<errors><error>Invalid token</error></errors>", 422, true, false, "HTTP 422"},
		{"422 of something else", `{"errors":[{"message":"Unprocessable"}]}`, 422, false, false, "HTTP 422"},
		{"403", "forbidden", 403, false, false, "HTTP 403"},
		{"429", "slow down", 429, false, false, "too many requests"},
		{"500", "oops", 500, false, false, "HTTP 500"},
		{"503", "down", 503, false, false, "HTTP 503"},
		{"200 user", user, 200, false, true, ""},
		{"200 portal page", "<html><body>Sign in to the hotel Wi-Fi " + serverToken + "</body></html>", 200, false, false, "captive portal"},
		{"200 JSON that is no user", `{"status":"ok"}`, 200, false, false, "not a plex.tv user"},
		{"200 empty", "", 200, false, false, "no verdict"},
	} {
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			_, _ = w.Write([]byte(c.body))
		}))
		err := (&PlexTV{BaseURL: peer.URL, ClientIdentifier: "c"}).CheckToken(ctx, serverToken, theServer)
		peer.Close()
		switch {
		case c.accepted && err != nil:
			t.Errorf("%s: %v, want accepted", c.name, err)
		case c.accepted:
		case err == nil:
			t.Errorf("%s: accepted, want %s", c.name, map[bool]string{true: "rejected", false: "unknown"}[c.revoked])
		case errors.Is(err, ErrRevoked) != c.revoked || errors.Is(err, ErrUnreachable):
			t.Errorf("%s: %v, want revoked=%v", c.name, err, c.revoked)
		case !strings.Contains(err.Error(), c.says):
			t.Errorf("%s: %v, want it to say %q", c.name, err, c.says)
		}
		assertNoSecret(t, err, serverToken)
	}
}

// The server's token goes only under the server's identity: the headers PMS sends, none
// of plexform's; without the identity nothing is sent at all.
func TestServerTokenOnlyUnderTheServersIdentity(t *testing.T) {
	var got http.Header
	var calls atomic.Int32
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		got = r.Header.Clone()
		_, _ = w.Write([]byte(`{"id":7,"uuid":"u"}`))
	}))
	defer peer.Close()
	p := &PlexTV{BaseURL: peer.URL, ClientIdentifier: "plexform-abc", Version: "9.9.9"}
	if err := p.CheckToken(context.Background(), serverToken, theServer); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"X-Plex-Client-Identifier": "pmi-test", "X-Plex-Product": "Plex Media Server", "X-Plex-Provides": "server",
		"X-Plex-Version": theServer.Version, "X-Plex-Token": serverToken, "X-Plex-Platform": "", "X-Plex-Device-Name": "", "X-Plex-Device": ""}
	for name, value := range want {
		if got.Get(name) != value {
			t.Errorf("%s = %q, want %q", name, got.Get(name), value)
		}
	}
	for name, values := range got {
		if strings.Contains(strings.ToLower(strings.Join(values, " ")), "plexform") || strings.Contains(strings.Join(values, " "), "9.9.9") {
			t.Errorf("%s carries plexform's name or version", name)
		}
	}
	// An unknown version is left out, not guessed.
	if err := p.CheckToken(context.Background(), serverToken, ServerIdentity{ClientIdentifier: "pmi-test"}); err != nil || got.Get("X-Plex-Version") != "" {
		t.Errorf("without a version: %v, X-Plex-Version %q; want it left out", err, got.Get("X-Plex-Version"))
	}
	calls.Store(0)
	err := p.CheckToken(context.Background(), serverToken, ServerIdentity{Version: "1.41"})
	if !errors.Is(err, ErrNoServerIdentity) || calls.Load() != 0 {
		t.Errorf("without the server's identity: %v after %d requests; want ErrNoServerIdentity and none", err, calls.Load())
	}
	assertNoSecret(t, err, serverToken)
}

// plexform never calls /api/v2/auth/*: registering a device key with a token makes that
// legacy token expire (developer.plex.tv, "JWT Authentication (Recommended)").
func TestNeverTheJWTEndpoints(t *testing.T) {
	tv, p := standIn(t)
	for _, path := range []string{"/api/v2/auth/jwk", "/api/v2/auth/nonce", "/api/v2/auth/token"} {
		if _, err := p.call(context.Background(), http.MethodPost, path, serverToken, "try", theServer.client()); err == nil {
			t.Errorf("call of %s went out", path)
		}
	}
	if n := tv.RequestsUnder("/api/v2/auth/"); n != 0 || !tv.Honoured(serverToken) {
		t.Errorf("plex.tv got %d /api/v2/auth/ requests; server token honoured: %v", n, tv.Honoured(serverToken))
	}
}

// SignOut ends an account token at plex.tv; a token already dead is signed out already.
func TestSignOut(t *testing.T) {
	tv, p := standIn(t)
	ctx := context.Background()
	if err := p.SignOut(ctx, accountToken); err != nil || tv.Honoured(accountToken) {
		t.Errorf("SignOut: %v, still honoured %v", err, tv.Honoured(accountToken))
	}
	if err := p.SignOut(ctx, accountToken); err != nil {
		t.Errorf("SignOut of a signed-out token: %v, want nil", err)
	}
	if !tv.Honoured(serverToken) || tv.Requests("DELETE /api/v2/users/signout") != 2 {
		t.Error("the sign-out touched the server's token, or was not sent")
	}
	tv.Stall("DELETE /api/v2/users/signout")
	p.Timeout = 100 * time.Millisecond
	if err := p.SignOut(ctx, "other-token"); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "within 100ms") {
		t.Errorf("a sign-out plex.tv never answers: %v, want ErrUnreachable within 100ms", err)
	}
}

// Timeout bounds every request to plex.tv: a plex.tv that accepts and never answers
// ends the request after Timeout, and the error says so.
func TestTimeoutBoundsEveryPlexTVRequest(t *testing.T) {
	tv, p := standIn(t)
	p.Timeout = 100 * time.Millisecond
	ctx := context.Background()
	for key, call := range map[string]func() error{
		"GET /api/v2/user":          func() error { return p.CheckToken(ctx, serverToken, theServer) },
		"POST /api/v2/pins":         func() error { _, err := p.NewPin(ctx); return err },
		"GET /api/v2/pins/{id}":     func() error { _, err := p.PinToken(ctx, Pin{ID: 1}); return err },
		"GET /api/claim/token.json": func() error { _, err := p.ClaimToken(ctx, accountToken); return err },
	} {
		tv.Stall(key)
		if err := call(); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "within 100ms") {
			t.Errorf("%s: %v, want no answer within 100ms", key, err)
		}
	}
}

func TestWhoIs(t *testing.T) {
	tv, p := standIn(t)
	ctx := context.Background()
	got, err := p.WhoIs(ctx, accountToken)
	if err != nil || got != (Owner{Username: "jane", Email: "jane@example.com"}) {
		t.Fatalf("WhoIs of jane's token: %v (jane: %v)", err, got.Username == "jane")
	}
	tv.Revoke("jane")
	_, err = p.WhoIs(ctx, accountToken)
	if !errors.Is(err, ErrRevoked) {
		t.Errorf("WhoIs of a revoked token: %v, want ErrRevoked", err)
	}
	assertNoSecret(t, err, accountToken, "jane")
	// A peer that answers 200 with an account but no name, or not JSON, tells nobody.
	for name, body := range map[string]string{
		"no names": `{"id":1,"uuid":"u","username":"","authToken":"` + accountToken + `"}`,
		"not json": `<user username="jane">` + accountToken,
	} {
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
		_, err := (&PlexTV{BaseURL: peer.URL, ClientIdentifier: "c"}).WhoIs(ctx, accountToken)
		peer.Close()
		if !errors.Is(err, stores.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
		assertNoSecret(t, err, accountToken, "jane")
	}
}

func TestOwnerSame(t *testing.T) {
	alice := Owner{Username: "alice", Email: "alice@example.com"}
	for _, c := range []struct {
		name  string
		other Owner
		same  bool
	}{
		{"both match", alice, true},
		{"user name in another case", Owner{Username: "ALICE", Email: "new@example.com"}, true},
		{"e-mail only, another case", Owner{Username: "alice2", Email: "Alice@Example.COM"}, true},
		{"e-mail with stray spaces", Owner{Email: " alice@example.com\n"}, true},
		{"another account", Owner{Username: "mallory", Email: "mallory@example.com"}, false},
		{"nobody", Owner{}, false},
		{"user name of another's e-mail", Owner{Username: "alice@example.com"}, false},
	} {
		if got := alice.Same(c.other); got != c.same {
			t.Errorf("%s: Same = %v, want %v", c.name, got, c.same)
		}
		if got := c.other.Same(alice); got != c.same {
			t.Errorf("%s (the other way round): Same = %v, want %v", c.name, got, c.same)
		}
	}
	if (Owner{}).Same(Owner{}) || (Owner{}).Known() || !(Owner{Email: "a@b"}).Known() {
		t.Error("an unknown owner must be unknown and the same as nobody")
	}
}

// TestOwnerSameRefusesLookAlikes: Unicode case folding takes U+212A KELVIN SIGN for "k"
// and U+017F LONG S for "s"; plex.tv does not, so neither may the owner check, or an
// account named like the owner gets the server by entering a link code seen in a CI log.
func TestOwnerSameRefusesLookAlikes(t *testing.T) {
	owner := Owner{Username: "kasper", Email: "kasper@example.com"}
	for _, c := range []struct {
		name  string
		other Owner
	}{
		{"user name with KELVIN SIGN", Owner{Username: "\u212Aasper", Email: "mallory@example.com"}},
		{"user name with LONG S", Owner{Username: "Ka\u017Fper", Email: "mallory@example.com"}},
		{"e-mail with KELVIN SIGN", Owner{Username: "mallory", Email: "\u212Aasper@example.com"}},
		{"e-mail with LONG S", Owner{Username: "mallory", Email: "ka\u017Fper@example.com"}},
		{"both look-alike", Owner{Username: "\u212Aa\u017Fper", Email: "\u212Aa\u017Fper@EXAMPLE.com"}},
	} {
		if owner.Same(c.other) || c.other.Same(owner) {
			t.Errorf("%s: %+q passes as the owner", c.name, c.other)
		}
	}
	if !owner.Same(Owner{Username: "KASPER"}) || !owner.Same(Owner{Email: "Kasper@Example.COM"}) {
		t.Error("A–Z in another case must still match")
	}
}

func TestLinkCodeSignsInAndGetsAClaimToken(t *testing.T) {
	tv, p := standIn(t)
	tv.OnPin = func(code string) {
		// A person needs a moment to type the code: the PIN is polled a few times first.
		for tv.Requests("GET /api/v2/pins/{id}") < 3 {
			time.Sleep(5 * time.Millisecond)
		}
		if err := tv.Enter(code, nil); err != nil {
			t.Error(err)
		}
	}
	ctx := context.Background()
	pin, err := p.NewPin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pin.Code) != 4 || time.Until(pin.ExpiresAt) < 14*time.Minute {
		t.Errorf("pin: code of %d characters, expires in %s; want 4 and about 15m", len(pin.Code), time.Until(pin.ExpiresAt))
	}
	var ticks atomic.Int32
	token, err := p.WaitForPin(ctx, pin, func(left time.Duration) {
		ticks.Add(1)
		if left <= 0 || left > 15*time.Minute {
			t.Errorf("tick with %s left", left)
		}
	})
	if err != nil || token == "" || !tv.Honoured(token) {
		t.Fatalf("WaitForPin: %v (token honoured: %v)", err, tv.Honoured(token))
	}
	if ticks.Load() < 3 {
		t.Errorf("%d ticks, want one per look (at least 3)", ticks.Load())
	}
	claimToken, err := p.ClaimToken(ctx, token)
	if err != nil || !ValidShape(claimToken) {
		t.Fatalf("ClaimToken: %v", err)
	}
	// Another client identifier cannot see the PIN: plexform must keep its own.
	other := *p
	other.ClientIdentifier = "someone-else"
	if _, err := other.PinToken(ctx, pin); !errors.Is(err, ErrPinExpired) {
		t.Errorf("another client's look at the PIN: %v, want ErrPinExpired (plex.tv answers 404)", err)
	}
	tv.Revoke("jane")
	if _, err := p.ClaimToken(ctx, token); !errors.Is(err, ErrRevoked) {
		t.Errorf("ClaimToken with a revoked token: %v", err)
	}
}

func TestWaitForPinEnds(t *testing.T) {
	tv, p := standIn(t)
	tv.PinLifetime = 300 * time.Millisecond
	ctx := context.Background()
	pin, err := p.NewPin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitForPin(ctx, pin, nil); !errors.Is(err, ErrPinExpired) {
		t.Errorf("a code nobody enters: %v, want ErrPinExpired", err)
	}
	tv.PinLifetime = time.Hour
	pin, err = p.NewPin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := p.WaitForPin(cctx, pin, nil); !errors.Is(err, context.Canceled) || errors.Is(err, ErrPinExpired) {
		t.Errorf("Ctrl-C while waiting: %v, want context.Canceled", err)
	}
}

func TestHostilePlexTVAnswers(t *testing.T) {
	ctx := context.Background()
	for name, body := range map[string]string{
		"escape in code": `{"id":1,"code":"\u001b[2JAB","authToken":null}`,
		"no id":          `{"code":"ABCD"}`,
		"not json":       `<html>` + accountToken + `</html>`,
		"token in junk":  `{"id":1,"code":"ABCD","authToken":"` + accountToken + ` x"}`,
	} {
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(body))
		}))
		p := &PlexTV{BaseURL: peer.URL, ClientIdentifier: "c"}
		_, err := p.NewPin(ctx)
		if name == "token in junk" {
			peer.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) })
			_, err = p.PinToken(ctx, Pin{ID: 1, Code: "ABCD"})
		}
		peer.Close()
		if !errors.Is(err, stores.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
		assertNoSecret(t, err, accountToken, "\x1b")
	}
}

func TestSignInState(t *testing.T) {
	ctx := context.Background()
	sim, _ := simulator(t, ` PlexOnlineToken="srv-token-1" PlexOnlineUsername="jane"`)
	s := serverFor(sim)
	if state, err := s.SignInState(ctx, "srv-token-1"); err != nil || state != "ok" {
		t.Errorf("the server's own token: %q, %v", state, err)
	}
	_, err := s.SignInState(ctx, "srv-token-2")
	if !errors.Is(err, ErrTokenNotAccepted) {
		t.Errorf("another token: %v, want ErrTokenNotAccepted", err)
	}
	assertNoSecret(t, err, "srv-token-2")
	stale, _ := simulator(t, ` PlexOnlineToken="stale-token-1"`)
	if state, err := serverFor(stale).SignInState(ctx, "stale-token-1"); err != nil || state != "invalid" {
		t.Errorf("a token plex.tv refused: %q, %v; want invalid", state, err)
	}
	if _, err := (&Server{URL: "http://" + deadAddress(t)}).SignInState(ctx, "srv-token-1"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("a dead server: %v, want ErrUnreachable", err)
	}
}

func TestStableClientIdentifier(t *testing.T) {
	a, b := StableClientIdentifier(), StableClientIdentifier()
	if a != b || !strings.HasPrefix(a, "plexform-") || len(a) != len("plexform-")+32 {
		t.Errorf("StableClientIdentifier = %q then %q; want the same plexform-<32 hex>", a, b)
	}
	if data, err := os.ReadFile("/etc/machine-id"); err == nil && len(strings.TrimSpace(string(data))) > 8 {
		if strings.Contains(a, strings.TrimSpace(string(data))[:8]) {
			t.Error("the identifier shows the machine id")
		}
	}
}

func FuzzParsePin(f *testing.F) {
	f.Add(`{"id":1,"code":"AB12","expiresIn":900,"authToken":null}`, "")
	f.Add(`{"id":7,"code":"ZZZZ","expiresAt":"2026-01-01T00:00:00Z","authToken":"`, `secret-TOKEN-1"}`)
	f.Add(`{"id":-1,"code":"AB12"}`, "")
	f.Add(`{"id":1,"code":"\u001b[2J","authToken":"x y"}`, "")
	f.Add(`{"id":1,"code":"ABCD","expiresIn":99999999999}`, "")
	f.Add(`<html>`, `secret-TOKEN-1`)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, before, after string) {
		body := []byte(before + after)
		pin, token, err := parsePin(body, now)
		if err != nil {
			if token != "" || pin != (Pin{}) || !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("parsePin failed with a value or without ErrMalformed: %v", err)
			}
			checkNoLeak(t, err, after)
			return
		}
		if pin.ID <= 0 || !codeShape.MatchString(pin.Code) || pin.ExpiresAt.After(now.Add(maxPinWait)) {
			t.Fatalf("parsePin returned an unusable PIN %+v", pin)
		}
		if strings.ContainsFunc(token, notTokenRune) {
			t.Fatalf("parsePin returned an unusable token of %d bytes", len(token))
		}
	})
}

func FuzzParseUser(f *testing.F) {
	f.Add(`{"id":1,"uuid":"abc","username":"jane","email":"jane@example.com","authToken":"`, `secret-TOKEN-1"}`)
	f.Add(`{"username":"","email":""}`, "")
	f.Add(`{"username":`, `secret-TOKEN-1}`)
	f.Add(`{"email":"\u001b[2J"}`, "")
	f.Add(`<user username="jane" authToken="`, `secret-TOKEN-1"/>`)
	f.Fuzz(func(t *testing.T, before, after string) {
		owner, err := parseUser([]byte(before + after))
		if err != nil {
			if owner != (Owner{}) || !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("parseUser failed with a value or without ErrMalformed: %v", err)
			}
			checkNoLeak(t, err, after)
			return
		}
		if !owner.Known() {
			t.Fatal("parseUser returned nobody without an error")
		}
	})
}

func FuzzIsUser(f *testing.F) {
	f.Add(`{"id":1,"uuid":"abc","username":"jane","authToken":"`, `secret-TOKEN-1"}`)
	f.Add(`{"id":0,"uuid":"abc"}`, "")
	f.Add(`{"id":1,"uuid":"  "}`, "")
	f.Add(`<html><body>portal `, `secret-TOKEN-1</body></html>`)
	f.Add(`{"id":"1","uuid":`, `secret-TOKEN-1}`)
	f.Fuzz(func(t *testing.T, before, after string) {
		if err := isUser([]byte(before + after)); err != nil {
			if !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("isUser failed without ErrMalformed: %v", err)
			}
			checkNoLeak(t, err, after)
		}
	})
}

func FuzzParseSignInState(f *testing.F) {
	f.Add(`<MyPlex authToken="`, `secret-TOKEN-1" username="jane" signInState="ok"/>`)
	f.Add(`<MyPlex signInState="invalid"/>`, "")
	f.Add(`<MyPlex signInState="`, "\x1b[2J\"/>")
	f.Add(`<MediaContainer signInState="ok"/>`, "")
	f.Add(`<MyPlex authToken="&`, `secret;"/>`)
	f.Fuzz(func(t *testing.T, before, after string) {
		state, err := parseSignInState([]byte(before + after))
		if err != nil {
			if state != "" || !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("parseSignInState failed with a value or without ErrMalformed: %v", err)
			}
			checkNoLeak(t, err, after)
			return
		}
		if !stateShape.MatchString(state) {
			t.Fatalf("parseSignInState returned %q, not a word", state)
		}
	})
}

// ClaimToken takes what plex.tv issues as long as it is "claim-" and a token: its length
// is plex.tv's to change. Anything else is no claim token.
func TestClaimTokenOfAnyLengthFromPlexTV(t *testing.T) {
	for answer, ok := range map[string]bool{
		`{"token":"claim-Ab3_dEf-Gh1jKlMn0pQrStUvWxYz0123"}`: true,
		`{"token":"claim-Ab3"}`:                              true,
		`{"token":"claim-"}`:                                 false,
		`{"token":"Ab3_dEf-Gh1jKlMn0pQr"}`:                   false,
		`{"token":"claim-Ab3 dEf"}`:                          false,
		`{"token":""}`:                                       false,
	} {
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(answer)) }))
		p := &PlexTV{BaseURL: peer.URL, ClientIdentifier: "plexform-test"}
		token, err := p.ClaimToken(context.Background(), "account-token")
		peer.Close()
		if ok && (err != nil || !strings.HasPrefix(token, "claim-")) {
			t.Errorf("ClaimToken(%s) = %v, want the token", answer, err)
		}
		if !ok && !errors.Is(err, stores.ErrMalformed) {
			t.Errorf("ClaimToken(%s) = %v, want ErrMalformed", answer, err)
		}
	}
}
