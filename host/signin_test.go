package host

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
)

const storedTok = "stored-TOKEN-abc123"

// peer answers like a PMS (/identity, /myplex/account) or plex.tv (/api/v2/user) with a
// status and, for PMS, a signInState. Its /identity names the server pmi-host. As plex.tv
// it answers only requests made under that server's identity, and body (when set) is
// its answer.
func peer(t *testing.T, status int, state string) string {
	return peerSaying(t, status, state, "")
}

func peerSaying(t *testing.T, status int, state, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/identity" {
			fmt.Fprint(w, `<MediaContainer size="0" claimed="1" machineIdentifier="pmi-host" version="1.41.0.8992-8463ad060"/>`)
			return
		}
		if r.Header.Get("X-Plex-Token") != storedTok {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.URL.Path == "/api/v2/user" && (r.Header.Get("X-Plex-Client-Identifier") != "pmi-host" || r.Header.Get("X-Plex-Product") != "Plex Media Server" ||
			r.Header.Get("X-Plex-Provides") != "server" || r.Header.Get("X-Plex-Version") != "1.41.0.8992-8463ad060") {
			t.Errorf("the server's token reached plex.tv under another identity: %q %q", r.Header.Get("X-Plex-Client-Identifier"), r.Header.Get("X-Plex-Product"))
		}
		w.WriteHeader(status)
		switch {
		case r.URL.Path == "/myplex/account":
			fmt.Fprintf(w, `<MyPlex authToken=%q username="jane" signInState=%q/>`, storedTok, state)
		case body != "":
			fmt.Fprint(w, body)
		default:
			fmt.Fprintf(w, `{"id":7,"uuid":"0a1b2c","username":"jane","authToken":%q}`, storedTok)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// bindSignin binds a plex_signin plan over a Preferences.xml holding prefs.
func bindSignin(t *testing.T, prefs, server, plexTV string, online bool) *Host {
	t.Helper()
	return bindSigninWith(t, prefs, server, plexTV, online, "")
}

// bindSigninWith is bindSignin whose plex_signin mapping also holds extra (", timeout: 5s").
func bindSigninWith(t *testing.T, prefs, server, plexTV string, online bool, extra string) *Host {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(path, []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: %q, set: {FriendlyName: den}}
  - {name: plex, kind: service, manager: exec, start: ["true"], stop: ["true"], status: ["true"]}
  - {name: signin, kind: plex_signin, store: prefs, service: plex, url: %q, plex_tv: %q, online: %v, relink: {link_code: true}%s}
`, path, server, plexTV, online, extra)
	p, err := plan.Decode(filepath.Join(dir, "plan.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	h, err := Open(p, Options{GOOS: runtime.GOOS})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

const withToken = `<Preferences FriendlyName="den" ProcessedMachineIdentifier="pmi-host" PlexOnlineToken="` + storedTok + `" PlexOnlineMail="jane@example.com" PlexOnlineUsername="jane"/>`

func TestSigninVerdicts(t *testing.T) {
	dead := "http://127.0.0.1:1"
	for _, tc := range []struct {
		name           string
		prefs          string
		server, plexTV func(t *testing.T) string
		online         bool
		verdict        string
		reason         string
		removes        int
	}{
		{"server ok, offline", withToken, func(t *testing.T) string { return peer(t, 200, "ok") }, nil, false, plan.SigninWorking, "the server reports its sign-in as ok", 0},
		{"server invalid, offline", withToken, func(t *testing.T) string { return peer(t, 200, "invalid") }, nil, false, plan.SigninBroken, "the server reports its sign-in as invalid", 3},
		{"plex.tv accepts", withToken, func(t *testing.T) string { return peer(t, 200, "ok") }, func(t *testing.T) string { return peer(t, 200, "") }, true, plan.SigninWorking, "plex.tv accepts the stored token", 0},
		{"plex.tv revoked", withToken, func(t *testing.T) string { return peer(t, 200, "ok") }, func(t *testing.T) string { return peer(t, 401, "") }, true, plan.SigninBroken, "plex.tv rejects the stored token", 3},
		{"plex.tv 500", withToken, func(t *testing.T) string { return peer(t, 200, "ok") }, func(t *testing.T) string { return peer(t, 500, "") }, true, plan.SigninUnknown, "plex.tv's answer is no verdict", 0},
		{"plex.tv 429", withToken, func(t *testing.T) string { return peer(t, 200, "ok") }, func(t *testing.T) string { return peer(t, 429, "") }, true, plan.SigninUnknown, "plex.tv's answer is no verdict", 0},
		{"plex.tv 498 expired", withToken, func(t *testing.T) string { return peer(t, 200, "ok") }, func(t *testing.T) string { return peer(t, 498, "") }, true, plan.SigninBroken, "plex.tv rejects the stored token", 3},
		{"plex.tv 422 Invalid token", withToken, func(t *testing.T) string { return peer(t, 200, "ok") },
			func(t *testing.T) string {
				return peerSaying(t, 422, "", "<errors><error>Invalid token</error></errors>")
			}, true, plan.SigninBroken, "plex.tv rejects the stored token", 3},
		{"plex.tv 422 of something else", withToken, func(t *testing.T) string { return peer(t, 200, "ok") },
			func(t *testing.T) string { return peerSaying(t, 422, "", `{"errors":[]}`) }, true, plan.SigninUnknown, "plex.tv's answer is no verdict", 0},
		{"a portal's 200", withToken, func(t *testing.T) string { return peer(t, 200, "ok") },
			func(t *testing.T) string { return peerSaying(t, 200, "", "<html>Wi-Fi login</html>") }, true, plan.SigninUnknown, "plex.tv's answer is no verdict", 0},
		{"another server's settings", strings.Replace(withToken, "pmi-host", "pmi-other", 1), func(t *testing.T) string { return peer(t, 200, "ok") }, nil, true, plan.SigninUnknown, "the server's identity cannot be read, so plex.tv is not asked", 0},
		{"plex.tv down", withToken, func(t *testing.T) string { return peer(t, 200, "ok") }, func(*testing.T) string { return dead }, true, plan.SigninUnknown, "plex.tv cannot be asked", 0},
		{"server down", withToken, func(*testing.T) string { return dead }, nil, true, plan.SigninUnknown, "the server cannot be asked", 0},
		{"server has another token", strings.Replace(withToken, storedTok, "other-token", 1), func(t *testing.T) string { return peer(t, 200, "ok") }, nil, true, plan.SigninUnknown, "the server does not accept the stored token", 0},
		{"plex.tv accepts, server invalid", withToken, func(t *testing.T) string { return peer(t, 200, "invalid") }, func(t *testing.T) string { return peer(t, 200, "") }, true, plan.SigninUnknown, "plex.tv accepts the stored token, but the server reports", 0},
		{"no token", `<Preferences FriendlyName="den" PlexOnlineMail="jane@example.com"/>`, func(*testing.T) string { return dead }, nil, true, plan.SigninBroken, "the server holds no sign-in token", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tv := dead
			if tc.plexTV != nil {
				tv = tc.plexTV(t)
			}
			h := bindSignin(t, tc.prefs, tc.server(t), tv, tc.online)
			ch, err := h.Diff(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			sc := ch.Signins[0]
			if sc.Verdict != tc.verdict || !strings.Contains(sc.Reason, tc.reason) {
				t.Errorf("verdict %s (%s), want %s (%s); evidence %q", sc.Verdict, sc.Reason, tc.verdict, tc.reason, sc.Evidence)
			}
			_, _, remove := ch.Summary()
			if remove != tc.removes {
				t.Errorf("%d values to remove, want %d", remove, tc.removes)
			}
			if want := tc.verdict == plan.SigninBroken; (sc.Relink != "") != want || ch.HasChanges() != want {
				t.Errorf("relink %q, changes %v; want a re-link only when broken", sc.Relink, ch.HasChanges())
			}
			all := fmt.Sprintf("%+v %q", sc, sc.Evidence)
			for _, secret := range []string{storedTok, "jane", "other-token"} {
				if strings.Contains(all, secret) {
					t.Errorf("the verdict holds %q", secret)
				}
			}
		})
	}
}

// A working sign-in leaves the store's own changes alone: the store is read back after
// its write without the sign-in reset, so the write counts as done.
func TestSigninWorkingStoreDiffKeepsTheSignIn(t *testing.T) {
	h := bindSignin(t, strings.Replace(withToken, `FriendlyName="den"`, `FriendlyName="old"`, 1), peer(t, 200, "ok"), "http://127.0.0.1:1", false)
	ch, err := h.Diff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if add, change, remove := ch.Summary(); add != 0 || change != 1 || remove != 0 {
		t.Errorf("summary %d/%d/%d, want only FriendlyName changed", add, change, remove)
	}
	rc, err := h.Store("prefs").Diff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rc.Values {
		if plan.IsSignInValue(v.StoreName) {
			t.Errorf("the store's own diff plans %s %s for a working sign-in", v.Action, v.StoreName)
		}
	}
}

// plan warns, before apply refuses, when a link code would have to be completed by an
// owner that the settings do not name; it says nothing when they name one.
func TestLinkCodeWithoutKnownOwnerIsWarnedAtPlan(t *testing.T) {
	invalid := func(t *testing.T) string { return peer(t, 200, "invalid") }
	for _, tc := range []struct {
		name, prefs string
		warned      bool
	}{
		{"owner named", withToken, false},
		{"e-mail only", `<Preferences FriendlyName="den" PlexOnlineToken="` + storedTok + `" PlexOnlineMail="jane@example.com"/>`, false},
		{"no owner", `<Preferences FriendlyName="den" PlexOnlineToken="` + storedTok + `"/>`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bindSignin(t, tc.prefs, invalid(t), "http://127.0.0.1:1", false)
			ch, err := h.Diff(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if ch.Signins[0].Verdict != plan.SigninBroken {
				t.Fatalf("verdict %s, want broken", ch.Signins[0].Verdict)
			}
			warnings := strings.Join(ch.Resources[0].Warnings, "\n")
			if got := strings.Contains(warnings, "apply will refuse"); got != tc.warned {
				t.Errorf("warned %v, want %v: %q", got, tc.warned, warnings)
			}
			if strings.Contains(warnings, "jane") || strings.Contains(warnings, storedTok) {
				t.Errorf("the warning names the account or the token: %q", warnings)
			}
		})
	}
}

// slowPlexTV answers GET /api/v2/user with status after delay, as plex.tv under load.
func slowPlexTV(t *testing.T, status int, delay time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		http.Error(w, `{"errors":[{"code":1001}]}`, status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// lowerAskTimeouts makes the default bounds of the verdict's questions d for h's
// plex_signin, so that a slow answer outlives them without making the test slow.
func lowerAskTimeouts(h *Host, d time.Duration) *Host {
	h.Signins[0].ServerAsk, h.Signins[0].PlexTVAsk = d, d
	return h
}

// timeout: bounds the verdict's questions, not the default caps: plex.tv answering 401
// after the default cap but within timeout: is a rejection.
func TestSigninTimeoutBoundsTheQuestions(t *testing.T) {
	h := lowerAskTimeouts(bindSigninWith(t, withToken, peer(t, 200, "ok"), slowPlexTV(t, http.StatusUnauthorized, 300*time.Millisecond), true, ", timeout: 20s"), 50*time.Millisecond)
	ch, err := h.Diff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sc := ch.Signins[0]; sc.Verdict != plan.SigninBroken || sc.Reason != "plex.tv rejects the stored token" {
		t.Errorf("verdict %s (%s), want broken; evidence %q", sc.Verdict, sc.Reason, sc.Evidence)
	}
}

// Without timeout:, the default bound is the request's own: a plex.tv that answers
// too late "cannot be asked", and the evidence says it gave no answer in time.
func TestSigninDefaultBoundSaysNoAnswer(t *testing.T) {
	h := lowerAskTimeouts(bindSignin(t, withToken, peer(t, 200, "ok"), slowPlexTV(t, http.StatusUnauthorized, 2*time.Second), true), 50*time.Millisecond)
	ch, err := h.Diff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sc := ch.Signins[0]
	if sc.Verdict != plan.SigninUnknown || sc.Reason != "plex.tv cannot be asked" || !strings.Contains(strings.Join(sc.Evidence, "\n"), "no answer within 50ms") {
		t.Errorf("verdict %s (%s), want unknown, plex.tv cannot be asked, no answer within 50ms; evidence %q", sc.Verdict, sc.Reason, sc.Evidence)
	}
}

// readCounter is a store that counts its reads.
type readCounter struct {
	stores.Store
	reads int
}

func (c *readCounter) Read(ctx context.Context) (stores.State, error) {
	c.reads++
	return c.Store.Read(ctx)
}

// The repair is decided once, in one pass, from one read: a diff of a broken sign-in reads
// its store once and asks the server once, and what the diff shows is the decision the
// plex_signin holds (the one the engine reads), not a second verdict.
func TestSigninIsDecidedOnceFromOneRead(t *testing.T) {
	var asked atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/myplex/account" {
			asked.Add(1)
		}
		fmt.Fprint(w, `<MyPlex signInState="invalid"/>`)
	}))
	t.Cleanup(server.Close)
	h := bindSignin(t, withToken, server.URL, "http://127.0.0.1:1", false)
	counted := &readCounter{Store: h.Store("prefs").Store}
	h.Store("prefs").Store = counted
	h.Signins[0].Store = counted
	ch, err := h.Diff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counted.reads != 1 || asked.Load() != 1 {
		t.Errorf("the diff read the store %d times and asked the server %d times, want once each", counted.reads, asked.Load())
	}
	if len(ch.Signins) != 1 || ch.Signins[0] != h.Signins[0].Decision() || !h.Signins[0].Resets() {
		t.Errorf("the diff shows %+v, the plex_signin holds %+v: want the one decision, a reset", ch.Signins, h.Signins[0].Decision())
	}
	if _, _, remove := ch.Summary(); remove != 3 {
		t.Errorf("%d values to remove, want the 3 sign-in values the broken verdict resets", remove)
	}
}
