package signin

import (
	"context"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plexsim"
)

const (
	goodToken    = "claim-Ab3_dEf-Gh1jKlMn0pQr"
	expiredToken = "claim-expired0123456789abc"
	procMachine  = "0123456789abcdef0123456789abcdef01234567"
	// waitLong bounds waits that succeed at once when the code is right; it is a
	// safety net against a hang, never an assertion about speed.
	waitLong = 30 * time.Second
)

// simulator starts plexsim in-process on a free loopback port over a Preferences.xml
// with the given extra attributes, and returns it with its Preferences.xml path.
func simulator(t *testing.T, extraAttrs string) (*plexsim.Server, string) {
	t.Helper()
	prefs := filepath.Join(t.TempDir(), "Preferences.xml")
	data := `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<Preferences MachineIdentifier="m-1" ProcessedMachineIdentifier="` + procMachine + `" FriendlyName="den"` + extraAttrs + "/>\n"
	if err := os.WriteFile(prefs, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	sim, err := plexsim.Start(plexsim.Options{PrefsPath: prefs, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start the simulator: %v", err)
	}
	t.Cleanup(func() { _ = sim.Stop() })
	return sim, prefs
}

func serverFor(sim *plexsim.Server) *Server { return &Server{URL: "http://" + sim.Addr()} }

// assertNoSecret fails when err's text holds any of secrets; it never prints them.
func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for i, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error text contains secret #%d", i)
		}
	}
}

// prefsAttr reads one attribute of the root element of a Preferences.xml.
func prefsAttr(t *testing.T, path, name string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		Attrs []xml.Attr `xml:",any,attr"`
	}
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s is not well-formed after the simulator wrote it: %v", path, err)
	}
	for _, a := range root.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestIdentityOfAnUnclaimedServer(t *testing.T) {
	sim, _ := simulator(t, "")
	id, err := serverFor(sim).Identity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{Claimed: false, MachineIdentifier: procMachine, Version: plexsim.Version}
	if id != want {
		t.Errorf("Identity() = %+v, want %+v", id, want)
	}
}

func TestClaimWithAGoodTokenClaimsAndPersists(t *testing.T) {
	sim, prefs := simulator(t, "")
	s := serverFor(sim)
	ctx := context.Background()
	if err := s.Claim(ctx, goodToken+"\n"); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if err := s.WaitClaimed(ctx, waitLong); err != nil {
		t.Fatalf("WaitClaimed: %v", err)
	}
	id, err := s.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Claimed {
		t.Error("Identity().Claimed = false after a successful claim")
	}
	if err := sim.Stop(); err != nil {
		t.Fatalf("stop the simulator: %v", err)
	}
	if prefsAttr(t, prefs, "PlexOnlineToken") == "" {
		t.Error("the simulator wrote no PlexOnlineToken to Preferences.xml on stop")
	}
	if got := prefsAttr(t, prefs, "FriendlyName"); got != "den" {
		t.Errorf("FriendlyName = %q after the claim, want it kept as \"den\"", got)
	}
}

func TestClaimWithAnExpiredTokenIsRejected(t *testing.T) {
	sim, _ := simulator(t, "")
	s := serverFor(sim)
	err := s.Claim(context.Background(), expiredToken)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("Claim(expired) = %v, want ErrRejected", err)
	}
	const message = "the claim token was rejected (they expire about 4 minutes after they are made); get a new one at plex.tv/claim"
	if !strings.Contains(err.Error(), message) {
		t.Errorf("Claim(expired) error %q does not carry the remedy %q", err, message)
	}
	assertNoSecret(t, err, expiredToken, "expired0123456789abc")
	if id, err := s.Identity(context.Background()); err != nil || id.Claimed {
		t.Errorf("after a rejected claim Identity() = %+v, %v; want unclaimed", id, err)
	}
}

func TestClaimWithTheWrongShapeIsRejectedWithoutSending(t *testing.T) {
	var posts atomic.Int32
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		_, _ = w.Write([]byte(`<MediaContainer claimed="0"/>`))
	}))
	defer peer.Close()
	sim, _ := simulator(t, "")
	for _, token := range []string{"", "claim-", "https://plex.tv/claim", "claim-Ab3_dEf-Gh1jK Mn0pQr", "claim-Ab3_dEf\x1b[2J", "CLAIM-Ab3_dEf-Gh1jKlMn0pQr"} {
		for _, s := range []*Server{serverFor(sim), {URL: peer.URL}} {
			err := s.Claim(context.Background(), token)
			if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "does not look like") {
				t.Errorf("Claim(wrong shape #%d) = %v, want ErrRejected saying the shape is wrong", len(token), err)
			}
			if len(token) > len("claim-") { // the hint itself spells out "claim-"
				assertNoSecret(t, err, token)
			}
		}
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("%d claim requests were sent for tokens of the wrong shape", n)
	}
}

func TestClaimOfAClaimedServerSaysSo(t *testing.T) {
	t.Run("claimed at start", func(t *testing.T) {
		sim, _ := simulator(t, ` PlexOnlineToken="stored-token-value"`)
		err := serverFor(sim).Claim(context.Background(), goodToken)
		if !errors.Is(err, ErrAlreadyClaimed) || errors.Is(err, ErrRejected) {
			t.Errorf("Claim on a claimed server = %v, want ErrAlreadyClaimed only", err)
		}
		assertNoSecret(t, err, goodToken, "stored-token-value")
	})
	t.Run("claimed twice", func(t *testing.T) {
		sim, _ := simulator(t, "")
		s := serverFor(sim)
		if err := s.Claim(context.Background(), goodToken); err != nil {
			t.Fatal(err)
		}
		err := s.Claim(context.Background(), goodToken)
		if !errors.Is(err, ErrAlreadyClaimed) {
			t.Errorf("second Claim = %v, want ErrAlreadyClaimed", err)
		}
	})
	t.Run("claimed between the check and the claim", func(t *testing.T) {
		// The first /identity says unclaimed, the claim is refused with 400 as PMS does
		// for a claimed server, and /identity then says claimed.
		var identities atomic.Int32
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/identity" {
				claimed := "0"
				if identities.Add(1) > 1 {
					claimed = "1"
				}
				_, _ = w.Write([]byte(`<MediaContainer claimed="` + claimed + `"/>`))
				return
			}
			http.Error(w, "server is already claimed", http.StatusBadRequest)
		}))
		defer peer.Close()
		err := (&Server{URL: peer.URL}).Claim(context.Background(), goodToken)
		if !errors.Is(err, ErrAlreadyClaimed) || errors.Is(err, ErrRejected) {
			t.Errorf("Claim = %v, want ErrAlreadyClaimed only", err)
		}
	})
}

// claimPeer answers /identity unclaimed and every claim with status, recording the
// claim request it got.
func claimPeer(t *testing.T, status int, got *http.Request) *httptest.Server {
	t.Helper()
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/identity" {
			_, _ = w.Write([]byte(`<MediaContainer claimed="0" machineIdentifier="x" version="1"/>`))
			return
		}
		*got = *r.Clone(context.Background())
		w.WriteHeader(status)
		// A peer that echoes the token must not get it into the error.
		_, _ = w.Write([]byte("bad token " + r.URL.Query().Get("token")))
	}))
	t.Cleanup(peer.Close)
	return peer
}

func TestClaimStatuses(t *testing.T) {
	for _, tc := range []struct {
		status   int
		rejected bool
		ok       bool
	}{
		{200, false, true}, {204, false, true},
		{400, true, false}, {401, true, false}, {403, true, false}, {422, true, false},
		{404, false, false}, {500, false, false}, {302, false, false},
	} {
		var got http.Request
		peer := claimPeer(t, tc.status, &got)
		err := (&Server{URL: peer.URL + "/"}).Claim(context.Background(), goodToken)
		if (err == nil) != tc.ok || errors.Is(err, ErrRejected) != tc.rejected {
			t.Errorf("HTTP %d: Claim = %v; want ok=%v rejected=%v", tc.status, err, tc.ok, tc.rejected)
		}
		if got.Method != http.MethodPost || got.URL.Path != "/myplex/claim" || got.URL.RawQuery != "token="+goodToken {
			t.Errorf("HTTP %d: the claim was %s %s with a query of %d bytes; want POST /myplex/claim?token=TOKEN", tc.status, got.Method, got.URL.Path, len(got.URL.RawQuery))
		}
		assertNoSecret(t, err, goodToken)
	}
}

func TestClaimDoesNotFollowARedirect(t *testing.T) {
	var reached atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Store(true) }))
	defer elsewhere.Close()
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/identity" {
			_, _ = w.Write([]byte(`<MediaContainer claimed="0"/>`))
			return
		}
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer peer.Close()
	err := (&Server{URL: peer.URL, HTTP: &http.Client{}}).Claim(context.Background(), goodToken)
	if err == nil || reached.Load() {
		t.Errorf("Claim through a redirect = %v, reached the other host: %v; want an error and no request there", err, reached.Load())
	}
	assertNoSecret(t, err, goodToken)
}

// deadAddress is a loopback address where nothing listens.
func deadAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUnreachableServer(t *testing.T) {
	s := &Server{URL: "http://" + deadAddress(t)}
	ctx := context.Background()
	if _, err := s.Identity(ctx); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Identity of a dead address = %v, want ErrUnreachable", err)
	}
	err := s.Claim(ctx, goodToken)
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrRejected) {
		t.Errorf("Claim at a dead address = %v, want ErrUnreachable", err)
	}
	assertNoSecret(t, err, goodToken)
}

func TestClaimRespectsCancellation(t *testing.T) {
	sim, _ := simulator(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := serverFor(sim).Claim(ctx, goodToken)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Claim with a cancelled context = %v, want context.Canceled", err)
	}
	if id, err := serverFor(sim).Identity(context.Background()); err != nil || id.Claimed {
		t.Errorf("a cancelled Claim changed the server: %+v, %v", id, err)
	}
}

func TestBadServerURL(t *testing.T) {
	for _, raw := range []string{"127.0.0.1:32400", "ftp://host", "http://", "://x"} {
		s := &Server{URL: raw}
		if _, err := s.Identity(context.Background()); err == nil || !strings.Contains(err.Error(), "want http://") {
			t.Errorf("Identity with URL %q = %v, want an error explaining the URL form", raw, err)
		}
		if err := s.Claim(context.Background(), goodToken); err == nil {
			t.Errorf("Claim with URL %q succeeded", raw)
		}
	}
}

func TestWaitClaimedTimesOutOnAnUnclaimedServer(t *testing.T) {
	sim, _ := simulator(t, "")
	err := serverFor(sim).WaitClaimed(context.Background(), 150*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "stayed unclaimed") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitClaimed on an unclaimed server = %v, want a timeout saying it stayed unclaimed", err)
	}
}

func TestWaitClaimedEndsWithTheCallersContext(t *testing.T) {
	sim, _ := simulator(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := serverFor(sim).WaitClaimed(ctx, waitLong)
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "stayed unclaimed") {
		t.Errorf("WaitClaimed with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestWaitClaimedSeesAClaimMadeLater(t *testing.T) {
	// /identity says unclaimed, then fails once (as during a restart), then claimed.
	var calls atomic.Int32
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1, 2:
			_, _ = w.Write([]byte(`<MediaContainer claimed="0"/>`))
		case 3:
			http.Error(w, "starting", http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte(`<MediaContainer claimed="1"/>`))
		}
	}))
	defer peer.Close()
	if err := (&Server{URL: peer.URL}).WaitClaimed(context.Background(), waitLong); err != nil {
		t.Fatalf("WaitClaimed = %v", err)
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("WaitClaimed asked /identity %d times, want 4 (until the first claimed=\"1\")", n)
	}
}

func TestWaitReachableWaitsForAServerThatStartsLater(t *testing.T) {
	addr := deadAddress(t)
	prefs := filepath.Join(t.TempDir(), "Preferences.xml")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the wait if the test is skipped
	done := make(chan struct{})
	var id Identity
	var err error
	go func() {
		defer close(done)
		id, err = (&Server{URL: "http://" + addr}).WaitReachable(ctx, waitLong)
	}()
	sim, startErr := plexsim.Start(plexsim.Options{PrefsPath: prefs, Listen: addr})
	if startErr != nil {
		t.Skipf("the freed port %s was taken before the simulator could use it: %v", addr, startErr)
	}
	defer sim.Stop()
	<-done
	if err != nil {
		t.Fatalf("WaitReachable = %v", err)
	}
	if id.Claimed || id.Version != plexsim.Version || len(id.MachineIdentifier) != 40 {
		t.Errorf("WaitReachable returned %+v, want the new unclaimed simulator's identity", id)
	}
}

func TestWaitReachablePollsThrough503(t *testing.T) {
	var calls atomic.Int32
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, "Maintenance", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`<MediaContainer claimed="1" machineIdentifier="abc" version="1.2"/>`))
	}))
	defer peer.Close()
	id, err := (&Server{URL: peer.URL}).WaitReachable(context.Background(), waitLong)
	if err != nil || id != (Identity{Claimed: true, MachineIdentifier: "abc", Version: "1.2"}) {
		t.Errorf("WaitReachable = %+v, %v", id, err)
	}
}

func TestWaitReachableTimesOut(t *testing.T) {
	_, err := (&Server{URL: "http://" + deadAddress(t)}).WaitReachable(context.Background(), 150*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not answer /identity") || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("WaitReachable of a dead address = %v, want a timeout naming the last error", err)
	}
}

func TestIdentityRejectsWhatIsNotPlex(t *testing.T) {
	for _, body := range []string{`<html><body>router login</body></html>`, `<MediaContainer size="0"/>`, `not xml at all <`, `<MediaContainer claimed="yes"/>`} {
		peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
		_, err := (&Server{URL: peer.URL}).Identity(context.Background())
		peer.Close()
		if err == nil {
			t.Errorf("Identity of %q succeeded", body)
		}
	}
}

// A server that accepts and never answers: the claim (its /identity look included) ends
// after Timeout, a wait
// after its timeout, and no error reads "(last error: <nil>)".
func TestHungServerIsBoundedAndSaysWhy(t *testing.T) {
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer peer.Close()
	s := &Server{URL: peer.URL, Timeout: 100 * time.Millisecond}
	ctx := context.Background()
	_, err := s.WaitReachable(ctx, 150*time.Millisecond)
	if err == nil || strings.Contains(err.Error(), "<nil>") || !strings.Contains(err.Error(), "did not answer /identity within 150ms") {
		t.Errorf("WaitReachable of a hung server: %v", err)
	}
	err = s.WaitClaimed(ctx, 150*time.Millisecond)
	if err == nil || strings.Contains(err.Error(), "<nil>") {
		t.Errorf("WaitClaimed of a hung server: %v", err)
	}
	err = s.Claim(ctx, goodToken)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "within 100ms") {
		t.Errorf("Claim at a hung server: %v, want no answer within 100ms", err)
	}
	assertNoSecret(t, err, goodToken)
}

// A claim token plex.tv issues is sent whatever its length: plex.tv may change it, and a
// re-link must not fail on that after the owner entered the link code.
func TestClaimSendsATokenOfAnotherLength(t *testing.T) {
	var sent atomic.Value
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			sent.Store(r.URL.Query().Get("token"))
		}
		_, _ = w.Write([]byte(`<MediaContainer claimed="0"/>`))
	}))
	defer peer.Close()
	for _, token := range []string{"claim-short", "claim-Ab3_dEf-Gh1jKlMn0pQrStUvWxYz0123"} {
		if err := (&Server{URL: peer.URL}).Claim(context.Background(), token); err != nil {
			t.Errorf("Claim(%d characters) = %v, want it sent", len(token), err)
		}
		if got, _ := sent.Load().(string); got != token {
			t.Errorf("the server was sent a token of %d characters, want %d", len(got), len(token))
		}
	}
}

// Redacted hides a password in a URL, also in text url.Parse does not take.
func TestRedactedHidesAPassword(t *testing.T) {
	for raw, want := range map[string]string{
		"http://bob:s3cretpw@127.0.0.1:32400":      "http://bob:xxxxx@127.0.0.1:32400",
		"https://plex.tv":                          "https://plex.tv",
		"http://bob:s3cretpw@127.0.0.1:port/x":     "http://xxxxx@127.0.0.1:port/x",
		"http://bob:s3c%zzretpw@[::1:32400/a@b":    "http://xxxxx@[::1:32400/a@b",
		"not a url at all, but no password either": "not a url at all, but no password either",
	} {
		if got := Redacted(raw); got != want || strings.Contains(got, "s3c") {
			t.Errorf("Redacted(%q) = %q, want %q", raw, got, want)
		}
	}
}
