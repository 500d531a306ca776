//go:build unix

package executor_test

// End-to-end tests: the Plex Media Server simulator supervised by a real s6-supervise
// (as in Plex's Docker images), reset through host.Open and executor.Apply with the s6
// manager, exactly as `plexform apply` does it.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/plan"
)

func TestS6ResetWhileRunningThenNothingToDo(t *testing.T) {
	sim := superviseSim(t, "")
	yaml := sim.planYAML(planOpts{})

	// What the server wrote on its way down is the file plexform must edit; capture it
	// at the moment plexform reports the stop.
	var atStop string
	rec := &recorder{on: func(e executor.Event) {
		if e.Type == executor.EventStopped {
			atStop = sim.readPrefs(t)
		}
	}}
	res, err := sim.apply(t, yaml, rec)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}

	// The file is backed up and its new content staged before the stop; the server
	// rewrites it on its way down, so it is backed up again from what it left.
	wantTypes := []string{executor.EventBackedUp, executor.EventStopping, executor.EventStopped, executor.EventBackedUp, executor.EventWritten,
		executor.EventStarting, executor.EventStarted, executor.EventVerified}
	if got := rec.types(); !slices.Equal(got, wantTypes) {
		t.Errorf("events %v, want %v", got, wantTypes)
	}
	if atStop == "" || atStop == signedIn {
		t.Fatal("the server did not rewrite Preferences.xml on its way down, so this test shows nothing about the re-read")
	}
	if !strings.Contains(atStop, `PlexOnlineToken="`+simToken+`"`) {
		t.Fatal("the server's rewrite lost the token it held")
	}
	// Only the four attributes are gone; every other byte is the server's own rewrite.
	if got, want := sim.readPrefs(t), withoutSignIn(t, atStop); got != want {
		t.Errorf("Preferences.xml after the reset:\n%s\nwant:\n%s", got, want)
	}
	if !sim.running(t) {
		t.Error("the server is not running after the apply")
	}
	id, err := plexsimtest.GetIdentity(sim.listen)
	if err != nil || id.Claimed != "0" || id.MachineIdentifier != "pmi-e2e" {
		t.Errorf("/identity after the reset: %+v, %v", id, err)
	}
	if res.Downtime <= 0 {
		t.Errorf("Downtime = %s, want the time from stopped to start issued", res.Downtime)
	}
	add, change, remove := res.Changes.Summary()
	if add != 0 || change != 0 || remove != 4 {
		t.Errorf("changes applied: %d added, %d changed, %d removed; want 4 removed", add, change, remove)
	}
	if len(res.Backups) != 1 {
		t.Fatalf("backups: %d, want 1", len(res.Backups))
	}
	backup, err := os.ReadFile(filepath.Join(sim.backups, res.Backups[0].File))
	if err != nil || string(backup) != atStop {
		t.Errorf("the backup is not the file as the stopped server left it (%v)", err)
	}

	// (d) The host matches the plan now: a second apply must not touch the server.
	pid := sim.pid(t)
	again := &recorder{}
	res, err = sim.apply(t, yaml, again)
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if res.Changes.HasChanges() {
		t.Error("the second apply found changes")
	}
	if got := again.types(); len(got) != 0 {
		t.Errorf("the second apply did %v; want nothing", got)
	}
	if res.Downtime != 0 {
		t.Errorf("the second apply caused %s of downtime", res.Downtime)
	}
	if now := sim.pid(t); now != pid || now == 0 {
		t.Errorf("the server's pid went from %d to %d: it was restarted", pid, now)
	}
}

// An edit made to Preferences.xml while the server runs is lost when it stops, because
// it writes what it holds in memory: the reason plexform stops the server first.
func TestS6NaiveEditWhileRunningIsLost(t *testing.T) {
	sim := superviseSim(t, "")
	edited := strings.Replace(sim.readPrefs(t), ` PlexOnlineToken="`+simToken+`"`, "", 1)
	if strings.Contains(edited, "PlexOnlineToken") {
		t.Fatal("the naive edit did not remove the token")
	}
	sim.writePrefs(t, edited)

	sim.stop(t)
	if !strings.Contains(sim.readPrefs(t), `PlexOnlineToken="`+simToken+`"`) {
		t.Fatal("the server's shutdown did not put the token back; the naive edit would have held")
	}
	sim.start(t)
	if id, err := plexsimtest.GetIdentity(sim.listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after the naive reset and a restart: %+v, %v; want still claimed", id, err)
	}
}

// refuseAttr makes the supervised simulator refuse to start: the plan sets it, so the
// server will not come back after the change.
const refuseAttr = "PlexformTestRefuse"

// canonicalSim is a supervised simulator whose file is already in the server's own
// spelling (it was stopped and started once), so "byte-identical to before" compares
// the file before the apply with the file after the rollback, both as the server wrote them.
func canonicalSim(t *testing.T) *supervisedSim {
	sim := superviseSim(t, refuseAttr)
	sim.stop(t)
	sim.start(t)
	return sim
}

func TestS6ServerThatWillNotStartIsRolledBack(t *testing.T) {
	sim := canonicalSim(t)
	before := sim.readPrefs(t)
	// The verify bound is what catches the failed start: s6 may show the crashing
	// server "up" for a moment, but it never answers /identity.
	yaml := sim.planYAML(planOpts{set: refuseAttr, verifyTimeout: 3 * time.Second})

	rec := &recorder{}
	_, err := sim.apply(t, yaml, rec)
	f, ok := executor.IsFailure(err)
	if !ok {
		t.Fatalf("apply of a change the server refuses: %v; want a Failure", err)
	}
	if !f.RolledBack || !f.Changed || len(f.Left) != 0 {
		t.Errorf("Failure: rolled back %v, changed %v, left %v; want rolled back completely", f.RolledBack, f.Changed, f.Left)
	}
	if strings.Contains(f.Error(), simToken) {
		t.Error("the failure's message holds the token")
	}
	if got := sim.readPrefs(t); got != before {
		t.Errorf("Preferences.xml after the rollback differs from before the apply:\n%s\nwant:\n%s", got, before)
	}
	if !sim.running(t) {
		t.Error("the server is not running after the rollback")
	}
	if id, err := plexsimtest.GetIdentity(sim.listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after the rollback: %+v, %v; want the server as it was, claimed", id, err)
	}
	types := rec.types()
	t.Logf("events: %v", types)
	for _, want := range []string{executor.EventWritten, executor.EventRollback, executor.EventRestored, executor.EventVerified} {
		if !slices.Contains(types, want) {
			t.Errorf("events %v lack %q", types, want)
		}
	}
}

// The command line: a rolled-back apply exits 1, and -json prints each step as an event
// line before the final apply_failed line.
func TestS6CLIRolledBackApplyExits1WithJSONEvents(t *testing.T) {
	sim := canonicalSim(t)
	bin := buildPlexform(t)
	before := sim.readPrefs(t)
	file := sim.writePlan(t, sim.planYAML(planOpts{set: refuseAttr, verifyTimeout: 3 * time.Second}))

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "apply", "-f", file, "-auto-approve", "-json")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("apply: %v; want exit code 1\nstderr:\n%s", err, stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), simToken) {
		t.Fatal("apply printed the token")
	}
	if !strings.Contains(stderr.String(), "rolled back") {
		t.Errorf("stderr does not say the apply was rolled back:\n%s", stderr.String())
	}

	// Events are one JSON line each; the final result is one JSON document too.
	var types []string
	var last map[string]any
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("stdout is not a stream of JSON documents: %v", err)
		}
		typ, _ := doc["type"].(string)
		types = append(types, typ)
		last = doc
	}
	for _, want := range []string{executor.EventStopping, executor.EventStopped, executor.EventWritten, executor.EventStarted, executor.EventVerified} {
		if !slices.Contains(types, want) {
			t.Errorf("event lines %v lack %q", types, want)
		}
	}
	if last["type"] != "apply_failed" || last["rolled_back"] != true {
		t.Errorf("the last line is %v; want apply_failed with rolled_back true", last)
	}
	if got := sim.readPrefs(t); got != before {
		t.Error("Preferences.xml after the CLI's rollback differs from before the apply")
	}
}

// buildPlexform compiles the command line, for the tests that run it as a user would.
func buildPlexform(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "plexform")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/plexform/plexform/cmd/plexform").CombinedOutput()
	if err != nil {
		tb.Fatalf("build plexform: %v\n%s", err, out)
	}
	return bin
}

// The plan the tests apply must decode: a broken template would skip every check above.
func TestE2EPlanDecodes(t *testing.T) {
	h := &simHost{dir: "/h", prefs: "/h/Preferences.xml", backups: "/h/b", listen: "127.0.0.1:1"}
	yaml := h.planYAML("    manager: s6\n    dir: /h/svc\n", planOpts{set: refuseAttr})
	p, err := plan.Decode("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("%v\n%s", err, yaml)
	}
	if r := p.Resource("prefs"); r == nil || r.Service != "plex" || len(r.Absent) != 4 || len(r.Set) != 1 {
		t.Errorf("prefs resource: %+v", r)
	}
}
