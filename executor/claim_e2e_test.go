//go:build unix

package executor_test

// End-to-end tests of plex_claim: the simulator under s6, reset and claimed in one apply,
// through its own /myplex/claim (method local) or a stand-in for plex.tv's claim
// exchange (method exchange).

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/internal/plextv"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/state"
)

const (
	goodClaim    = "claim-AbCdEfGhIjKlMnOpQrSt"
	anotherClaim = "claim-ZyXwVuTsRqPoNmLkJiHg"
	expiredClaim = "claim-expired0123456789abc"
)

// claimPlan is the reset plan with a plex_claim of the given method after the service.
func claimPlan(sim *supervisedSim, method, extra string) string {
	base := sim.planYAML(planOpts{})
	res := fmt.Sprintf("  - name: claim\n    kind: plex_claim\n    service: plex\n    url: \"http://%s\"\n    method: %s\n    token: {env: PLEXFORM_TEST_CLAIM}\n    timeout: 20s\n%s", sim.listen, method, extra)
	return strings.Replace(base, "verify:\n", res+"verify:\n", 1)
}

// applyWithState applies as the CLI does, remembering spent claim tokens in the backups dir.
func applyWithState(t *testing.T, sim *supervisedSim, yaml string, obs executor.Observer) (*executor.Result, error) {
	t.Helper()
	p, err := plan.Decode(filepath.Join(sim.dir, "plexform.yaml"), []byte(yaml))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	bound, err := host.Open(p, host.Options{GOOS: runtime.GOOS, State: &state.Dir{Path: sim.backups}})
	if err != nil {
		t.Fatalf("bind: %v", err)
	}
	return executor.Apply(context.Background(), bound, executor.Options{
		Backups: &state.Dir{Path: sim.backups}, Keep: plan.DefaultKeep, Version: "test", Observer: obs,
	})
}

func identity(t *testing.T, sim *supervisedSim) signin.Identity {
	t.Helper()
	id, err := (&signin.Server{URL: "http://" + sim.listen}).Identity(context.Background())
	if err != nil {
		t.Fatalf("identity: %v", err)
	}
	return id
}

func noSecretIn(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, secret := range []string{goodClaim, anotherClaim, expiredClaim, simToken} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows a secret", what)
			}
		}
	}
}

func eventText(rec *recorder) string {
	var b strings.Builder
	for _, e := range rec.events {
		b.WriteString(e.Message + "\n")
	}
	return b.String()
}

func TestResetAndClaimLocallyThenNothingToDo(t *testing.T) {
	sim := superviseSim(t, "")
	t.Setenv("PLEXFORM_TEST_CLAIM", goodClaim)
	yaml := claimPlan(sim, "local", "")
	if !identity(t, sim).Claimed {
		t.Fatal("the fixture server should start signed in")
	}

	rec := &recorder{}
	res, err := applyWithState(t, sim, yaml, rec)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	// Backed up before the stop, and again from what the server wrote on its way down.
	want := []string{executor.EventBackedUp, executor.EventStopping, executor.EventStopped, executor.EventBackedUp, executor.EventWritten,
		executor.EventStarting, executor.EventStarted, executor.EventClaiming, executor.EventClaimed, executor.EventVerified}
	if got := rec.types(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if len(res.Changes.Claims) != 1 || !res.Changes.Claims[0].Claim {
		t.Errorf("claims = %+v", res.Changes.Claims)
	}
	if !identity(t, sim).Claimed {
		t.Error("the server is not claimed after the apply")
	}
	noSecretIn(t, "the events", eventText(rec))

	// The same token again: nothing to do, even once the server has written the token
	// it got from the claim into Preferences.xml on a restart.
	sim.stop(t)
	if !strings.Contains(sim.readPrefs(t), "PlexOnlineToken=") {
		t.Fatal("the simulator did not save the token of its claim")
	}
	sim.start(t)
	pid := sim.pid(t)
	rec = &recorder{}
	res, err = applyWithState(t, sim, yaml, rec)
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if res.Changes.HasChanges() || len(rec.events) != 0 || sim.pid(t) != pid {
		t.Errorf("second apply changed something: changes %v, events %v", res.Changes.HasChanges(), rec.types())
	}

	// A new token is a new intent: reset and claim again.
	t.Setenv("PLEXFORM_TEST_CLAIM", anotherClaim)
	rec = &recorder{}
	if _, err := applyWithState(t, sim, yaml, rec); err != nil {
		t.Fatalf("apply with a new token: %v", err)
	}
	if !slices.Contains(rec.types(), executor.EventClaimed) {
		t.Errorf("a new token did not claim again: %v", rec.types())
	}
	data, _ := os.ReadFile(filepath.Join(sim.backups, "claims-used.json"))
	noSecretIn(t, "the claims state file", string(data))
}

func TestExpiredClaimTokenRollsBack(t *testing.T) {
	sim := superviseSim(t, "")
	t.Setenv("PLEXFORM_TEST_CLAIM", expiredClaim)
	// Put the file in the server's own spelling first, so "as before" is byte-exact.
	sim.stop(t)
	sim.start(t)
	before := sim.readPrefs(t)

	_, err := applyWithState(t, sim, claimPlan(sim, "local", ""), &recorder{})
	f, ok := executor.IsFailure(err)
	if !ok || !f.RolledBack || !f.Changed {
		t.Fatalf("err = %v, want a complete rollback", err)
	}
	if !strings.Contains(err.Error(), "the claim token was rejected (they expire about 4 minutes after they are made); get a new one at plex.tv/claim") {
		t.Errorf("error does not say the token was rejected: %v", err)
	}
	noSecretIn(t, "the error", err.Error())
	if got := sim.readPrefs(t); got != before {
		t.Errorf("Preferences.xml is not as before:\n%s\nwant:\n%s", got, before)
	}
	if !sim.running(t) || !identity(t, sim).Claimed {
		t.Error("the server is not back as it was (running, claimed)")
	}
}

func TestResetAndClaimThroughTheExchange(t *testing.T) {
	sim := superviseSim(t, "")
	t.Setenv("PLEXFORM_TEST_CLAIM", goodClaim)
	const serverToken = "exchanged-server-token-77Qp"
	var sawID, sawToken string
	plexTV := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/claim/exchange" {
			http.Error(w, "wrong request", http.StatusNotFound)
			return
		}
		sawID, sawToken = r.Header.Get("X-Plex-Client-Identifier"), r.URL.Query().Get("token")
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user><authentication-token>%s</authentication-token></user>\n", serverToken)
	}))
	defer plexTV.Close()

	yaml := claimPlan(sim, "exchange", fmt.Sprintf("    preferences: prefs\n    exchange_url: %q\n", plexTV.URL))
	rec := &recorder{}
	res, err := applyWithState(t, sim, yaml, rec)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if sawToken != goodClaim || sawID != "pmi-e2e" {
		t.Errorf("the exchange got token ok=%v, client id %q (want the ProcessedMachineIdentifier)", sawToken == goodClaim, sawID)
	}
	if !slices.Contains(rec.types(), executor.EventExchanged) || !slices.Contains(rec.types(), executor.EventClaimed) {
		t.Errorf("events %v", rec.types())
	}
	// The token was written while the server was down, and the others removed.
	prefs := sim.readPrefs(t)
	if !strings.Contains(prefs, `PlexOnlineToken="`+serverToken+`"`) || strings.Contains(prefs, "PlexOnlineMail") {
		t.Errorf("Preferences.xml after the exchange:\n%s", prefs)
	}
	if !identity(t, sim).Claimed {
		t.Error("the server is not claimed")
	}
	var tokenChange *plan.ValueChange
	for _, rc := range res.Changes.Resources {
		for i := range rc.Values {
			if rc.Values[i].StoreName == "PlexOnlineToken" {
				tokenChange = &rc.Values[i]
			}
		}
	}
	if tokenChange == nil || !tokenChange.Sensitive {
		t.Errorf("the token change is missing or not sensitive: %+v", tokenChange)
	}
	noSecretIn(t, "the events", eventText(rec), serverToken)
	if strings.Contains(eventText(rec), serverToken) {
		t.Error("the events show the exchanged token")
	}

	// Same token again: nothing to do.
	res, err = applyWithState(t, sim, yaml, &recorder{})
	if err != nil || res.Changes.HasChanges() {
		t.Errorf("second apply: changes %v, err %v", res != nil && res.Changes.HasChanges(), err)
	}
}

// timeout: bounds the claim exchange, which runs while Plex is stopped: with a plex.tv
// that accepts the request and never answers, the apply gives up after 5s (not a fixed
// 30s) and rolls back, and the error says why.
func TestHungExchangeIsBoundedByTimeout(t *testing.T) {
	sim := superviseSim(t, "")
	t.Setenv("PLEXFORM_TEST_CLAIM", goodClaim)
	tv := plextv.New()
	tv.Stall("POST /api/claim/exchange")
	url, stop, err := tv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stop() }()
	yaml := claimPlan(sim, "exchange", fmt.Sprintf("    preferences: prefs\n    exchange_url: %q\n", url))
	yaml = strings.Replace(yaml, "    timeout: 20s\n", "    timeout: 5s\n", 1)
	var stopped, started time.Time
	rec := &recorder{on: func(e executor.Event) {
		switch e.Type {
		case executor.EventStopped:
			stopped = time.Now()
		case executor.EventStarting:
			if started.IsZero() {
				started = time.Now()
			}
		}
	}}
	_, err = applyWithState(t, sim, yaml, rec)
	t.Logf("Plex was down %s while the exchange hung", started.Sub(stopped).Round(100*time.Millisecond))
	f, ok := executor.IsFailure(err)
	if !ok || !f.RolledBack || !strings.Contains(err.Error(), "no answer within 5s") || strings.Contains(err.Error(), "<nil>") {
		t.Fatalf("err = %v, want a rollback after no answer within 5s", err)
	}
	if tv.Requests("POST /api/claim/exchange") != 1 {
		t.Errorf("plex.tv got %d exchanges, want 1", tv.Requests("POST /api/claim/exchange"))
	}
	noSecretIn(t, "the error", err.Error())
	if !sim.running(t) || !identity(t, sim).Claimed {
		t.Error("the server is not back as it was (running, claimed)")
	}
}
