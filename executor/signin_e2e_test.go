//go:build unix

package executor_test

// End-to-end tests of plex_signin: the simulator under a real s6-supervise, signed in
// with a token that a plex.tv stand-in (internal/plextv) honours, and plexform's own
// binary run as a scheduled job would run it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plexsim"
	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/internal/plextv"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores/service"
)

// signinHost is a supervised simulator whose sign-in belongs to alice at a plex.tv
// stand-in, and the plexform binary to keep it signed in.
type signinHost struct {
	*supervisedSim
	tv     *plextv.Server
	tvURL  string
	bin    string
	alice  *plextv.Account
	before string // Preferences.xml as the server wrote it before the test acted
}

// serverDevice is plex.tv's record of the simulated server, as PMS registers it: its
// ProcessedMachineIdentifier, product, version and provides="server". No run of
// plexform may change it (Kometa-Team/Kometa#2894: a server's token used under another
// client's identity rewrites this record and breaks remote access).
var serverDevice = plextv.Device{ClientIdentifier: "pmi-e2e", Product: plextv.ServerProduct, Version: plexsim.Version, Provides: "server"}

// signinBins are the plexform and simulator binaries, built once for all cases.
type signinBins struct{ plexform, plexsim string }

func newSigninHost(t *testing.T, bins signinBins) *signinHost {
	t.Helper()
	return newSigninHostWith(t, bins, signedIn)
}

// newSigninHostWith is newSigninHost whose server starts from prefs.
func newSigninHostWith(t *testing.T, bins signinBins, prefs string) *signinHost {
	t.Helper()
	tv := plextv.New()
	alice := tv.AddAccount("alice", "alice@example.com")
	tv.Honour(alice, simToken, serverDevice)
	url, stop, err := tv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })

	h := newSimHostWith(t, bins.plexsim)
	h.writePrefs(t, prefs)
	s := &supervisedSim{simHost: h, svcDir: filepath.Join(h.dir, "svc-plex")}
	plexsimtest.Supervise(t, s.svcDir, append(h.simArgs(""), "-plextv", url))
	s.s6 = service.NewS6(s.svcDir, service.OSRunner{})
	plexsimtest.WaitAddr(t, h.addrFile)
	// Once through a stop and a start, the file is in the server's own spelling, so a
	// rolled-back apply can be compared byte for byte.
	s.stop(t)
	s.start(t)
	return &signinHost{supervisedSim: s, tv: tv, tvURL: url, bin: bins.plexform, alice: alice, before: s.readPrefs(t)}
}

// signinPlan keeps the server signed in; relink is the relink: mapping, plexTV the URL
// plexform asks (a dead one to test "unreachable").
func (h *signinHost) signinPlan(t *testing.T, relink, plexTV string) string {
	t.Helper()
	return h.signinPlanTimeout(t, relink, plexTV, "30s")
}

// signinPlanTimeout is signinPlan whose plex_signin has this timeout:.
func (h *signinHost) signinPlanTimeout(t *testing.T, relink, plexTV, timeout string) string {
	t.Helper()
	yaml := fmt.Sprintf(`version: 1
backups: {dir: %q}
resources:
  - name: prefs
    kind: xml_attributes
    path: %q
  - name: plex
    kind: service
    manager: s6
    dir: %q
    timeout: 30s
  - name: signin
    kind: plex_signin
    state: working
    store: prefs
    service: plex
    url: "http://%s"
    online: true
    plex_tv: %q
    relink: %s
    timeout: %s
verify:
  - http: {url: "http://%s/identity", status: 200, timeout: 60s}
`, h.backups, h.prefs, h.svcDir, h.listen, plexTV, relink, timeout, h.listen)
	return h.writePlan(t, yaml)
}

// run runs plexform with args and the extra environment, and returns its exit code
// and output. Every output is scanned for secrets before it is returned.
func (h *signinHost) run(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(h.bin, args...)
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run plexform: %v", err)
	}
	out := stdout.String() + stderr.String()
	h.assertNoSecret(t, strings.Join(args, " "), out)
	h.assertServerUntouchedAtPlexTV(t, strings.Join(args, " "))
	return code, out
}

// assertServerUntouchedAtPlexTV fails when a run of plexform changed plex.tv's record
// of the server's device, or called plex.tv's JWT endpoints (POST /api/v2/auth/jwk with
// a token makes that token expire): checked after every run.
func (h *signinHost) assertServerUntouchedAtPlexTV(t *testing.T, what string) {
	t.Helper()
	if err := h.tv.CheckDevice(h.alice, serverDevice); err != nil {
		t.Errorf("after %s: %v", what, err)
	}
	if p := h.tv.PhantomServers(h.alice); len(p) != 0 {
		t.Errorf("after %s: plex.tv recorded %d phantom \"Plex Media Server\" devices (the server's token sent under another identity)", what, len(p))
	}
	if n := h.tv.RequestsUnder("/api/v2/auth/"); n != 0 {
		t.Errorf("after %s: plex.tv got %d requests under /api/v2/auth/, want none", what, n)
	}
}

// assertNoSecret fails when text holds any token plex.tv or the server ever had (the
// account's, the server's old and new ones, the link code's, every claim token), the
// e-mail address or the user name. It never prints them.
func (h *signinHost) assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	secrets := append(h.tv.Issued(), simToken, "alice@example.com", "alice", "mallory@example.com", "mallory")
	if tok := prefsValue(h.readPrefs(t), "PlexOnlineToken"); tok != "" {
		secrets = append(secrets, tok)
	}
	for i, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s: the text holds secret #%d of %d", what, i, len(secrets))
		}
	}
}

// scanFiles checks the saved plans, the backups' manifests and the server's log.
func (h *signinHost) scanFiles(t *testing.T, paths ...string) {
	t.Helper()
	logPath := filepath.Join(filepath.Dir(h.prefs), "Logs", "Plex Media Server.log")
	for _, p := range append(paths, logPath) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		h.assertNoSecret(t, filepath.Base(p), string(data))
	}
	manifests, _ := filepath.Glob(filepath.Join(h.backups, "*.json"))
	for _, m := range manifests {
		data, _ := os.ReadFile(m)
		h.assertNoSecret(t, filepath.Base(m), string(data))
	}
}

func prefsValue(prefs, name string) string {
	i := strings.Index(prefs, " "+name+`="`)
	if i < 0 {
		return ""
	}
	rest := prefs[i+len(name)+3:]
	return rest[:strings.IndexByte(rest, '"')]
}

func signinHealthyServerIsNeverTouched(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	file := h.signinPlan(t, "{link_code: true}", h.tvURL)
	pid := h.pid(t)
	for round := 1; round <= 2; round++ {
		code, out := h.run(t, nil, "plan", "-f", file, "-detailed-exitcode")
		if code != 0 || !strings.Contains(out, "sign-in: working — plex.tv accepts the stored token") || !strings.Contains(out, "No changes.") {
			t.Fatalf("round %d: plan exited %d:\n%s", round, code, out)
		}
		code, out = h.run(t, nil, "apply", "-f", file, "-auto-approve")
		if code != 0 || !strings.Contains(out, "No changes.") {
			t.Fatalf("round %d: apply exited %d:\n%s", round, code, out)
		}
		if got := h.pid(t); got != pid {
			t.Fatalf("round %d: the server's pid went from %d to %d", round, pid, got)
		}
		// Across a restart of the server, the same.
		h.stop(t)
		h.start(t)
		pid = h.pid(t)
	}
	if got := h.readPrefs(t); got != h.before {
		t.Errorf("Preferences.xml changed:\n%s\nwant:\n%s", got, h.before)
	}
	h.scanFiles(t)
}

// revokedPlan revokes alice's tokens and checks that plan calls the sign-in broken,
// exits 2, and plans the reset of the four values and the re-link. It saves the plan.
func (h *signinHost) revokedPlan(t *testing.T, file string, env []string) string {
	t.Helper()
	h.tv.Revoke("alice")
	saved := filepath.Join(h.dir, "signin.plan")
	code, out := h.run(t, env, "plan", "-f", file, "-detailed-exitcode", "-out", saved)
	if code != 2 {
		t.Fatalf("plan of a revoked sign-in exited %d, want 2:\n%s", code, out)
	}
	for _, want := range []string{"sign-in: broken — plex.tv rejects the stored token", "- PlexOnlineToken    = (sensitive value)",
		"- PlexOnlineMail     = (sensitive value)", "- PlexOnlineUsername = (sensitive value)", "- PlexOnlineHome", "signin (plex_signin) will re-link the server",
		"Plan: 0 to add, 0 to change, 4 to remove."} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	code, out = h.run(t, env, "plan", "-f", file, "-json")
	var doc struct {
		Signins []struct{ Verdict, Relink string } `json:"signin_changes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || len(doc.Signins) != 1 || doc.Signins[0].Verdict != "broken" {
		t.Errorf("plan -json: exit %d, %v, signins %+v", code, err, doc.Signins)
	}
	return saved
}

// assertRelinked checks the server is signed in again with a token plex.tv honours,
// and that plan now finds nothing to do.
func (h *signinHost) assertRelinked(t *testing.T, file string, env []string) {
	t.Helper()
	token := prefsValue(h.readPrefs(t), "PlexOnlineToken")
	if token == "" || token == simToken || !h.tv.Honoured(token) {
		t.Fatalf("after the re-link the stored token is new: %v, honoured by plex.tv: %v", token != simToken, h.tv.Honoured(token))
	}
	if id, err := plexsimtest.GetIdentity(h.listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after the re-link: %+v, %v", id, err)
	}
	code, out := h.run(t, env, "plan", "-f", file, "-detailed-exitcode")
	if code != 0 || !strings.Contains(out, "sign-in: working") {
		t.Errorf("plan after the re-link exited %d:\n%s", code, out)
	}
}

func signinRevokedIsResetAndRelinkedByLinkCode(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	file := h.signinPlan(t, "{link_code: true}", h.tvURL)
	saved := h.revokedPlan(t, file, nil)
	// The owner enters the code on a phone once plexform shows it and polls for it.
	h.enterAs(t, h.alice)
	code, out := h.run(t, nil, "apply", saved)
	t.Logf("apply output:\n%s", out)
	if code != 0 {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}
	for _, want := range []string{"Open https://plex.tv/link on any device and enter ", "sign-in: working — plex.tv accepts the stored token",
		"Tautulli", "Kometa", "Never paste the server's own token"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	h.assertRelinked(t, file, nil)
	h.assertSignedOut(t, h.alice)
	h.scanFiles(t, saved)
}

// assertSignedOut checks that the account token the link code gave plexform's device
// was signed out at plex.tv (DELETE /api/v2/users/signout), so the account's
// Authorized Devices keep no plexform entry with access.
func (h *signinHost) assertSignedOut(t *testing.T, account *plextv.Account) {
	t.Helper()
	id := signin.StableClientIdentifier()
	if _, linked := h.tv.DeviceOf(account, id); !linked {
		t.Fatal("plexform's device was never linked to the account; this shows nothing about the sign-out")
	}
	if h.tv.SignedIn(account, id) || h.tv.Requests("DELETE /api/v2/users/signout") != 1 {
		t.Errorf("plexform's device still has access to the account: %v (%d sign-outs)", h.tv.SignedIn(account, id), h.tv.Requests("DELETE /api/v2/users/signout"))
	}
}

// A sign-out plex.tv never answers is a warning after a re-link that worked, never a
// rollback: the server's new sign-in does not depend on it.
func signinFailedSignOutIsAWarning(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	file := h.signinPlanTimeout(t, "{link_code: true}", h.tvURL, "5s")
	h.tv.Revoke("alice")
	h.tv.Stall("DELETE /api/v2/users/signout")
	h.enterAs(t, h.alice)
	code, out := h.run(t, nil, "apply", "-f", file, "-auto-approve")
	if code != 0 || strings.Contains(out, "rolled back") || !strings.Contains(out, "sign plexform's account token out at plex.tv") ||
		!strings.Contains(out, "remove plexform's entry under Authorized Devices") {
		t.Fatalf("apply exited %d, want 0 with a warning about the sign-out:\n%s", code, out)
	}
	h.assertRelinked(t, file, nil)
	h.scanFiles(t)
}

// plex.tv refusing the server's token with 422 "Invalid token" (seen by Home
// Assistant) or 498 (expired) makes the sign-in broken, as 401 does.
func signinRefusedBy422IsBroken(t *testing.T, bins signinBins) {
	signinRefusedIsBroken(t, bins, (*plextv.Server).Invalidate, "HTTP 422")
}

func signinRefusedBy498IsBroken(t *testing.T, bins signinBins) {
	signinRefusedIsBroken(t, bins, (*plextv.Server).Expire, "HTTP 498")
}

func signinRefusedIsBroken(t *testing.T, bins signinBins, refuse func(*plextv.Server, string), evidence string) {
	h := newSigninHost(t, bins)
	file := h.signinPlan(t, "{link_code: true}", h.tvURL)
	refuse(h.tv, simToken)
	code, out := h.run(t, nil, "plan", "-f", file, "-detailed-exitcode")
	if code != 2 || !strings.Contains(out, "sign-in: broken — plex.tv rejects the stored token") || !strings.Contains(out, evidence) {
		t.Errorf("plan exited %d, want 2 with a broken sign-in and %q:\n%s", code, evidence, out)
	}
	h.scanFiles(t)
}

// A 200 that is no plex.tv user (a captive portal's or a proxy's login page) is no
// verdict: unknown, and nothing changes.
func signinPortalAnswerIsUnknown(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body><form>Sign in to use the Wi-Fi</form></body></html>")
	}))
	defer portal.Close()
	file := h.signinPlan(t, "{link_code: true}", portal.URL)
	pid := h.pid(t)
	code, out := h.run(t, nil, "plan", "-f", file, "-detailed-exitcode")
	if code != 0 || !strings.Contains(out, "sign-in: unknown — plex.tv's answer is no verdict on the stored token") || strings.Contains(out, "sign-in: working") {
		t.Errorf("plan against a portal exited %d, want 0 and unknown:\n%s", code, out)
	}
	code, out = h.run(t, nil, "apply", "-f", file, "-auto-approve")
	if code != 0 || !strings.Contains(out, "No changes.") || h.pid(t) != pid || h.readPrefs(t) != h.before {
		t.Errorf("apply against a portal exited %d, or touched the server:\n%s", code, out)
	}
	h.scanFiles(t)
}

// timeout: bounds the waits of a re-link: a plex.tv that accepts a request and never
// answers ends it after 5s (not today's fixed 30s or 90s) and the apply rolls back.
// stall is the request plex.tv hangs on; relink how the server is re-linked.
func signinHungPlexTVIsBoundedByTimeout(t *testing.T, bins signinBins, stall, relink string, env []string) {
	h := newSigninHost(t, bins)
	file := h.signinPlanTimeout(t, relink, h.tvURL, "5s")
	h.tv.Revoke("alice")
	h.tv.Stall(stall)
	start := time.Now()
	code, out := h.run(t, env, "apply", "-f", file, "-auto-approve")
	t.Logf("%s hung: apply took %s", stall, time.Since(start).Round(100*time.Millisecond))
	if code != 1 || !strings.Contains(out, "no answer within 5s") || !strings.Contains(out, "rolled back") || strings.Contains(out, "<nil>") {
		t.Fatalf("apply exited %d, want 1 with no answer within 5s and a rollback:\n%s", code, out)
	}
	if got := h.readPrefs(t); got != h.before {
		t.Errorf("Preferences.xml after the rollback differs from before")
	}
	h.scanFiles(t)
}

func signinHungPinIsBoundedByTimeout(t *testing.T, bins signinBins) {
	signinHungPlexTVIsBoundedByTimeout(t, bins, "POST /api/v2/pins", "{link_code: true}", nil)
}

// The server's own claim waits on plex.tv's exchange (the simulator gives up after
// 10s); plexform's claim request gives up after the 5s of timeout:.
func signinHungClaimIsBoundedByTimeout(t *testing.T, bins signinBins) {
	claimToken := "claim-" + strings.Repeat("Q", 20)
	signinHungPlexTVIsBoundedByTimeout(t, bins, "POST /api/claim/exchange", "{claim_token: {env: PLEXFORM_TEST_CLAIM}}", []string{"PLEXFORM_TEST_CLAIM=" + claimToken})
}

func signinRevokedIsResetAndRelinkedByClaimToken(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	file := h.signinPlan(t, "{claim_token: {env: PLEXFORM_TEST_CLAIM}}", h.tvURL)
	// The scheduled plan finds the sign-in broken without any claim token (it would not
	// live until the repair) and says the repair needs one.
	saved := h.revokedPlan(t, file, nil)
	if code, out := h.run(t, nil, "plan", "-f", file); code != 0 || !strings.Contains(out, "its re-link needs a claim token that cannot be read now: apply will refuse") {
		t.Errorf("plan without the claim token exited %d:\n%s", code, out)
	}
	// Then the owner signs in again in a browser elsewhere, fetches a claim token there
	// and applies the saved plan right away.
	env := []string{"PLEXFORM_TEST_CLAIM=" + h.browserClaimToken(t)}
	code, out := h.run(t, env, "apply", saved)
	if code != 0 || !strings.Contains(out, "sign-in: working") {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}
	h.assertRelinked(t, file, env)
	h.scanFiles(t, saved)
}

// browserClaimToken is a claim token for alice, fetched as plex.tv/claim does in a
// browser she signed in to again.
func (h *signinHost) browserClaimToken(t *testing.T) string {
	t.Helper()
	browser := "browser-token-Qx81"
	h.tv.Honour(h.alice, browser, plextv.Device{ClientIdentifier: "browser-1", Product: "Plex Web"})
	req, _ := http.NewRequest(http.MethodGet, h.tvURL+"/api/claim/token.json", nil)
	req.Header.Set("X-Plex-Token", browser)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var claimDoc struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&claimDoc)
	resp.Body.Close()
	if err != nil || claimDoc.Token == "" {
		t.Fatalf("claim token: %v", err)
	}
	return claimDoc.Token
}

// plex.tv rate-limiting the server right after the claim leaves the verdict unknown:
// the claim is done at plex.tv, so the new sign-in is kept (not rolled back to the
// revoked token) and the warning says why the verdict is unknown.
func signinUnknownAfterClaimKeepsTheNewSignIn(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	file := h.signinPlanTimeout(t, "{claim_token: {env: PLEXFORM_TEST_CLAIM}}", h.tvURL, "3s")
	saved := h.revokedPlan(t, file, nil)
	h.tv.LimitAfter("POST /api/claim/exchange")
	code, out := h.run(t, []string{"PLEXFORM_TEST_CLAIM=" + h.browserClaimToken(t)}, "apply", saved)
	t.Logf("apply output:\n%s", out)
	if code != 0 {
		t.Fatalf("apply exited %d, want 0 (the claim is done, an unknown verdict keeps it):\n%s", code, out)
	}
	for _, want := range []string{"keeps its new sign-in, but its verdict is still unknown after 3s", "HTTP 429"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	token := prefsValue(h.readPrefs(t), "PlexOnlineToken")
	if token == "" || token == simToken || !h.tv.Honoured(token) {
		t.Errorf("after the claim the stored token is new: %v, honoured by plex.tv: %v", token != simToken, h.tv.Honoured(token))
	}
}

func signinPlexTVUnreachableIsUnknownAndChangesNothing(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	h.tv.Revoke("alice") // even a revoked token is left alone when plex.tv cannot say so
	file := h.signinPlan(t, "{link_code: true}", "http://"+plexsimtest.FreeAddr(t))
	pid := h.pid(t)
	code, out := h.run(t, nil, "plan", "-f", file, "-detailed-exitcode")
	if code != 0 || !strings.Contains(out, "sign-in: unknown — plex.tv cannot be asked") || !strings.Contains(out, "Nothing is reset while the verdict is unknown") {
		t.Errorf("plan exited %d:\n%s", code, out)
	}
	code, out = h.run(t, nil, "plan", "-f", file, "-json")
	if code != 0 || !strings.Contains(out, `"verdict": "unknown"`) {
		t.Errorf("plan -json exited %d:\n%s", code, out)
	}
	code, out = h.run(t, nil, "apply", "-f", file, "-auto-approve")
	if code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("apply exited %d:\n%s", code, out)
	}
	if h.pid(t) != pid || h.readPrefs(t) != h.before {
		t.Error("the server was restarted or its settings changed")
	}
	h.scanFiles(t)
}

// A link code nobody enters expires; the apply is rolled back and the server is as it
// was, revoked token and all.
func signinLinkCodeNobodyEntersRollsBack(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	h.tv.PinLifetime = 2 * time.Second
	file := h.signinPlan(t, "{link_code: true}", h.tvURL)
	h.tv.Revoke("alice")
	code, out := h.run(t, nil, "apply", "-f", file, "-auto-approve")
	if code != 1 || !strings.Contains(out, "the link code expired before it was entered") || !strings.Contains(out, "rolled back") {
		t.Fatalf("apply exited %d, want 1 with the expiry and the rollback:\n%s", code, out)
	}
	if got := h.readPrefs(t); got != h.before {
		t.Errorf("Preferences.xml after the rollback:\n%s\nwant:\n%s", got, h.before)
	}
	if id, err := plexsimtest.GetIdentity(h.listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after the rollback: %+v, %v; want claimed as before", id, err)
	}
	h.scanFiles(t)
}

// enterAs enters the link code as account once plexform polls for it.
func (h *signinHost) enterAs(t *testing.T, account *plextv.Account) {
	h.tv.OnPin = func(code string) {
		for h.tv.Requests("GET /api/v2/pins/{id}") < 2 {
			time.Sleep(10 * time.Millisecond)
		}
		if err := h.tv.Enter(code, account); err != nil {
			t.Error(err)
		}
	}
}

// assertRefusedLink checks that a link-code apply ends refused: exit 1 with the
// refusal (after a rollback when changed is set, before any change otherwise),
// Preferences.xml byte for byte as before, the server claimed as before, and no claim
// token ever asked of plex.tv.
func (h *signinHost) assertRefusedLink(t *testing.T, file, refusal string, changed bool) {
	t.Helper()
	code, out := h.run(t, nil, "apply", "-f", file, "-auto-approve")
	if code != 1 || !strings.Contains(out, refusal) || strings.Contains(out, "The apply was rolled back") != changed {
		t.Fatalf("apply exited %d, want 1 with %q (rolled back: %v):\n%s", code, refusal, changed, out)
	}
	if strings.Contains(out, "getting a claim token") {
		t.Errorf("the refused link went on to a claim token:\n%s", out)
	}
	if n := h.tv.Requests("GET /api/claim/token.json"); n != 0 {
		t.Errorf("plexform asked plex.tv for %d claim tokens, want none", n)
	}
	if got := h.readPrefs(t); got != h.before {
		t.Errorf("Preferences.xml after the rollback differs from before")
	}
	if id, err := plexsimtest.GetIdentity(h.listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after the rollback: %+v, %v; want claimed as before", id, err)
	}
	h.scanFiles(t)
}

// The link code is in the output, so anyone reading it may enter it: a code entered by
// another account links nothing and rolls the apply back.
func signinLinkCodeEnteredByAnotherAccountIsRefused(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	mallory := h.tv.AddAccount("mallory", "mallory@example.com")
	file := h.signinPlan(t, "{link_code: true}", h.tvURL)
	h.tv.Revoke("alice")
	h.enterAs(t, mallory)
	h.assertRefusedLink(t, file, "the link code was entered by a plex.tv account other than the one this server was signed in to; nothing was linked", true)
	h.assertSignedOut(t, mallory)
}

// An account whose name and e-mail only look like the owner's (U+212A KELVIN SIGN, U+017F
// LONG S, which Unicode case folding takes for "k" and "s") is another account: its code
// links nothing and the apply is rolled back.
func signinLinkCodeEnteredByLookAlikeIsRefused(t *testing.T, bins signinBins) {
	prefs := strings.NewReplacer(`PlexOnlineMail="alice@example.com"`, `PlexOnlineMail="kasper@example.com"`,
		`PlexOnlineUsername="alice"`, `PlexOnlineUsername="kasper"`).Replace(signedIn)
	h := newSigninHostWith(t, bins, prefs)
	lookAlike := h.tv.AddAccount("\u212Aasper", "ka\u017Fper@example.com")
	file := h.signinPlan(t, "{link_code: true}", h.tvURL)
	h.tv.Revoke("alice")
	h.enterAs(t, lookAlike)
	h.assertRefusedLink(t, file, "the link code was entered by a plex.tv account other than the one this server was signed in to; nothing was linked", true)
}

// Without PlexOnlineUsername and PlexOnlineMail nobody can be shown to be the owner, so
// a link code could only be refused: the apply is refused before it stops the server,
// and no code is asked for or shown.
func signinLinkCodeWithoutKnownOwnerIsRefused(t *testing.T, bins signinBins) {
	prefs := strings.NewReplacer(` PlexOnlineMail="alice@example.com"`, "", ` PlexOnlineUsername="alice"`, "").Replace(signedIn)
	h := newSigninHostWith(t, bins, prefs)
	if strings.Contains(h.before, "PlexOnlineUsername") || strings.Contains(h.before, "PlexOnlineMail") {
		t.Fatal("the server wrote an owner into its settings by itself")
	}
	file := h.signinPlan(t, "{link_code: true}", h.tvURL)
	h.tv.Revoke("alice")
	h.enterAs(t, h.alice)
	pid := h.pid(t)
	h.assertRefusedLink(t, file, "the server's settings name no plex.tv account", false)
	if n := h.tv.Requests("POST /api/v2/pins"); n != 0 || h.pid(t) != pid {
		t.Errorf("%d link codes asked for, server pid %d → %d; want none, and the server left running", n, pid, h.pid(t))
	}
}

// Ctrl-C while the code waits rolls back too.
func signinInterruptWhileWaitingRollsBack(t *testing.T, bins signinBins) {
	h := newSigninHost(t, bins)
	file := h.signinPlan(t, "{link_code: true}", h.tvURL)
	h.tv.Revoke("alice")
	var stdout bytes.Buffer
	cmd := exec.Command(h.bin, "apply", "-f", file, "-auto-approve")
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	h.tv.OnPin = func(string) {
		for h.tv.Requests("GET /api/v2/pins/{id}") < 2 {
			time.Sleep(10 * time.Millisecond)
		}
		_ = cmd.Process.Signal(os.Interrupt)
	}
	if err := cmd.Run(); err == nil {
		t.Fatalf("an interrupted apply succeeded:\n%s", stdout.String())
	}
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(stdout.String(), "rolled back") {
		t.Errorf("exit %d:\n%s", cmd.ProcessState.ExitCode(), stdout.String())
	}
	if got := h.readPrefs(t); got != h.before {
		t.Errorf("Preferences.xml after the rollback differs from before")
	}
	h.assertNoSecret(t, "interrupted apply", stdout.String())
}

// TestS6Signin runs the cases in parallel over binaries built once.
func TestS6Signin(t *testing.T) {
	bins := signinBins{plexform: buildPlexform(t), plexsim: plexsimtest.Build(t)}
	for name, run := range map[string]func(*testing.T, signinBins){
		"HealthyServerIsNeverTouched":                 signinHealthyServerIsNeverTouched,
		"RevokedIsResetAndRelinkedByLinkCode":         signinRevokedIsResetAndRelinkedByLinkCode,
		"RevokedIsResetAndRelinkedByClaimToken":       signinRevokedIsResetAndRelinkedByClaimToken,
		"PlexTVUnreachableIsUnknownAndChangesNothing": signinPlexTVUnreachableIsUnknownAndChangesNothing,
		"LinkCodeNobodyEntersRollsBack":               signinLinkCodeNobodyEntersRollsBack,
		"InterruptWhileWaitingRollsBack":              signinInterruptWhileWaitingRollsBack,
		"LinkCodeEnteredByAnotherAccountIsRefused":    signinLinkCodeEnteredByAnotherAccountIsRefused,
		"LinkCodeWithoutKnownOwnerIsRefused":          signinLinkCodeWithoutKnownOwnerIsRefused,
		"FailedSignOutIsAWarning":                     signinFailedSignOutIsAWarning,
		"RefusedBy422IsBroken":                        signinRefusedBy422IsBroken,
		"RefusedBy498IsBroken":                        signinRefusedBy498IsBroken,
		"PortalAnswerIsUnknown":                       signinPortalAnswerIsUnknown,
		"HungPinIsBoundedByTimeout":                   signinHungPinIsBoundedByTimeout,
		"HungClaimIsBoundedByTimeout":                 signinHungClaimIsBoundedByTimeout,
		"LinkCodeEnteredByLookAlikeIsRefused":         signinLinkCodeEnteredByLookAlikeIsRefused,
		"UnknownAfterClaimKeepsTheNewSignIn":          signinUnknownAfterClaimKeepsTheNewSignIn,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, bins)
		})
	}
}
