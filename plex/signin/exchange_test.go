package signin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plexform/plexform/stores"
)

const authToken = "AuthTok3n_xyzABCDEF12"

// exchangeAnswer is shaped like plex.tv's v1 user answers: the token both as the
// element the Docker images read and as the root's attribute.
const exchangeAnswer = `<?xml version="1.0" encoding="UTF-8"?>
<user email="someone@example.com" id="1" uuid="u1" username="someone" authenticationToken="` + authToken + `" title="someone">
  <subscription active="0" status="Inactive" plan=""/>
  <roles/>
  <entitlements all="0"/>
  <authentication-token>` + authToken + `</authentication-token>
</user>
`

// plexTV is a stand-in for plex.tv's claim exchange that checks the request as the
// Docker images make it and answers status and body.
type plexTV struct {
	t       *testing.T
	status  int
	body    string
	want    map[string]string // X-Plex-* headers expected
	calls   atomic.Int32
	checked atomic.Bool
}

func (p *plexTV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	ok := true
	fail := func(format string, args ...any) { ok = false; p.t.Errorf(format, args...) }
	if r.Method != http.MethodPost {
		fail("method %s, want POST", r.Method)
	}
	if r.URL.Path != "/api/claim/exchange" {
		fail("path %q, want /api/claim/exchange", r.URL.Path)
	}
	// The Docker images put the token raw after "token="; nothing else is in the query.
	if r.URL.RawQuery != "token="+goodToken {
		fail("the query is not exactly token=TOKEN (%d bytes)", len(r.URL.RawQuery))
	}
	for name, want := range p.want {
		if got := r.Header.Get(name); got != want {
			fail("header %s = %q, want %q", name, got, want)
		}
	}
	for name := range r.Header {
		if _, known := p.want[name]; strings.HasPrefix(name, "X-Plex-") && !known {
			fail("unexpected header %s", name)
		}
	}
	p.checked.Store(ok)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(p.status)
	_, _ = w.Write([]byte(p.body))
}

func dockerHeaders(deviceName string) map[string]string {
	return map[string]string{
		"X-Plex-Client-Identifier": procMachine,
		"X-Plex-Product":           "Plex Media Server",
		"X-Plex-Version":           "1.1",
		"X-Plex-Provides":          "server",
		"X-Plex-Platform":          "Linux",
		"X-Plex-Platform-Version":  "1.0",
		"X-Plex-Device":            "Linux",
		"X-Plex-Device-Name":       deviceName,
	}
}

func startPlexTV(t *testing.T, status int, body string, want map[string]string) (*plexTV, string) {
	t.Helper()
	p := &plexTV{t: t, status: status, body: body, want: want}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

// linuxExchange pins the platform so the expected headers do not depend on the OS
// running the tests.
func linuxExchange(base string) *Exchange {
	return &Exchange{BaseURL: base, ClientIdentifier: procMachine, Platform: "Linux", DeviceName: "nas"}
}

func TestExchangeSendsWhatTheDockerImagesSend(t *testing.T) {
	p, base := startPlexTV(t, http.StatusCreated, exchangeAnswer, dockerHeaders("nas"))
	got, err := linuxExchange(base).Token(context.Background(), goodToken+"\n")
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if got != authToken {
		t.Error("Token returned something other than the <authentication-token> of the answer")
	}
	if !p.checked.Load() || p.calls.Load() != 1 {
		t.Errorf("plex.tv got %d requests, checked ok: %v; want exactly one good request", p.calls.Load(), p.checked.Load())
	}
}

func TestExchangeDefaults(t *testing.T) {
	want := dockerHeaders(hostname())
	want["X-Plex-Platform"] = plexPlatform(runtime.GOOS)
	want["X-Plex-Device"] = plexPlatform(runtime.GOOS)
	p, base := startPlexTV(t, http.StatusOK, exchangeAnswer, want)
	e := &Exchange{BaseURL: base, ClientIdentifier: procMachine}
	if _, err := e.Token(context.Background(), goodToken); err != nil || !p.checked.Load() {
		t.Errorf("Token with defaults = %v (request as expected: %v)", err, p.checked.Load())
	}
	if runtime.GOOS == "linux" && want["X-Plex-Platform"] != "Linux" {
		t.Errorf("the default platform on Linux is %q, want \"Linux\" as the Docker images send", want["X-Plex-Platform"])
	}
}

func TestExchangeOverrides(t *testing.T) {
	want := map[string]string{
		"X-Plex-Client-Identifier": procMachine,
		"X-Plex-Product":           "P",
		"X-Plex-Version":           "1.41.0",
		"X-Plex-Provides":          "server",
		"X-Plex-Platform":          "FreeBSD",
		"X-Plex-Platform-Version":  "14.1",
		"X-Plex-Device":            "D",
		"X-Plex-Device-Name":       "N",
	}
	p, base := startPlexTV(t, http.StatusOK, exchangeAnswer, want)
	e := &Exchange{BaseURL: base, ClientIdentifier: procMachine, Product: "P", Version: "1.41.0", Platform: "FreeBSD", PlatformVersion: "14.1", Device: "D", DeviceName: "N"}
	if _, err := e.Token(context.Background(), goodToken); err != nil || !p.checked.Load() {
		t.Errorf("Token with overrides = %v (request as expected: %v)", err, p.checked.Load())
	}
}

func TestExchangeAcceptsTheAttributeShape(t *testing.T) {
	_, base := startPlexTV(t, http.StatusOK, `<user authenticationToken="`+authToken+`" username="u"/>`, dockerHeaders("nas"))
	got, err := linuxExchange(base).Token(context.Background(), goodToken)
	if err != nil || got != authToken {
		t.Errorf("Token of a <user authenticationToken=...> answer: err %v, token matches: %v", err, got == authToken)
	}
}

func TestExchangeRefusals(t *testing.T) {
	for _, status := range []int{400, 401, 403, 422} {
		_, base := startPlexTV(t, status, `<errors><error code="1000">Token `+goodToken+` is invalid `+authToken+`</error></errors>`, dockerHeaders("nas"))
		got, err := linuxExchange(base).Token(context.Background(), goodToken)
		if !errors.Is(err, ErrRejected) || got != "" {
			t.Errorf("HTTP %d: Token = (%d bytes), %v; want ErrRejected", status, len(got), err)
		}
		assertNoSecret(t, err, goodToken, authToken)
	}
	for _, status := range []int{404, 429, 500, 503} {
		_, base := startPlexTV(t, status, exchangeAnswer, dockerHeaders("nas"))
		got, err := linuxExchange(base).Token(context.Background(), goodToken)
		if err == nil || errors.Is(err, ErrRejected) || got != "" || !strings.Contains(err.Error(), "HTTP ") {
			t.Errorf("HTTP %d: Token = (%d bytes), %v; want an unexpected-status error, not ErrRejected", status, len(got), err)
		}
		assertNoSecret(t, err, goodToken, authToken)
	}
}

func TestExchangeGarbage(t *testing.T) {
	for name, body := range map[string]string{
		"html":             `<html><body>Welcome</body></html>`,
		"empty":            ``,
		"not xml":          `{"authToken":"` + authToken + `"}`,
		"truncated":        `<user><authentication-token>` + authToken,
		"tag named token":  `<user><authentication-token>x</` + authToken + `>`,
		"empty element":    `<user><authentication-token>  </authentication-token></user>`,
		"token with space": `<user><authentication-token>` + authToken + ` more</authentication-token></user>`,
		"bad entity":       `<user><authentication-token>&` + authToken + `;</authentication-token></user>`,
		"over 1 MiB":       `<user><authentication-token>` + authToken + `</authentication-token>` + strings.Repeat(" ", maxBody) + `</user>`,
	} {
		_, base := startPlexTV(t, http.StatusOK, body, dockerHeaders("nas"))
		got, err := linuxExchange(base).Token(context.Background(), goodToken)
		if !errors.Is(err, stores.ErrMalformed) || got != "" {
			t.Errorf("%s: Token = (%d bytes), %v; want an ErrMalformed error", name, len(got), err)
		}
		assertNoSecret(t, err, goodToken, authToken)
	}
}

func TestExchangeSendsNothingWithoutWhatItNeeds(t *testing.T) {
	p, base := startPlexTV(t, http.StatusOK, exchangeAnswer, nil)
	e := &Exchange{BaseURL: base}
	if _, err := e.Token(context.Background(), goodToken); err == nil || !strings.Contains(err.Error(), "ProcessedMachineIdentifier") {
		t.Errorf("Token without a client identifier = %v, want an error naming ProcessedMachineIdentifier", err)
	}
	e.ClientIdentifier = procMachine
	_, err := e.Token(context.Background(), "claim-x")
	if !errors.Is(err, ErrRejected) {
		t.Errorf("Token with a malformed claim token = %v, want ErrRejected", err)
	}
	assertNoSecret(t, err, "claim-x")
	if n := p.calls.Load(); n != 0 {
		t.Errorf("plex.tv got %d requests, want none", n)
	}
}

func TestExchangeUnreachableAndCancelled(t *testing.T) {
	e := linuxExchange("http://" + deadAddress(t))
	_, err := e.Token(context.Background(), goodToken)
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("Token at a dead address = %v, want ErrUnreachable", err)
	}
	assertNoSecret(t, err, goodToken)

	p, base := startPlexTV(t, http.StatusOK, exchangeAnswer, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = linuxExchange(base).Token(ctx, goodToken)
	if !errors.Is(err, context.Canceled) || p.calls.Load() != 0 {
		t.Errorf("Token with a cancelled context = %v after %d requests, want context.Canceled and none", err, p.calls.Load())
	}
}

func TestExchangeDoesNotFollowARedirect(t *testing.T) {
	var reached atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Store(true)
		_, _ = w.Write([]byte(exchangeAnswer))
	}))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer redirector.Close()
	_, err := linuxExchange(redirector.URL).Token(context.Background(), goodToken)
	if err == nil || reached.Load() {
		t.Errorf("Token through a redirect = %v, other host reached: %v; want an error and no request there", err, reached.Load())
	}
	assertNoSecret(t, err, goodToken)
}

// A plex.tv that accepts the exchange and never answers: Timeout ends it (the server is
// down meanwhile), not a fixed 30 seconds.
func TestExchangeTimeout(t *testing.T) {
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer peer.Close()
	e := linuxExchange(peer.URL)
	e.Timeout = 100 * time.Millisecond
	_, err := e.Token(context.Background(), goodToken)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "within 100ms") {
		t.Errorf("a hung exchange: %v, want no answer within 100ms", err)
	}
	assertNoSecret(t, err, goodToken)
}
