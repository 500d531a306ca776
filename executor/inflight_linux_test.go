package executor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores/service"
)

// An apply killed while its stop command ran leaves a child of that command behind,
// about to stop the server. Recover must wait for it (the journal names the command)
// before it reads the server's state, or the server it finds running, and leaves so,
// is stopped a moment later. Here the command's first process is already dead, as the
// parent-death signal leaves it, and its pid was never written: its mark finds the rest.
func TestRecoverWaitsForAStopTheKilledRunLeft(t *testing.T) {
	dir := t.TempDir()
	up, backups := filepath.Join(dir, "up"), filepath.Join(dir, "backups")
	if err := os.WriteFile(up, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h := bind(t, `version: 1
resources:
  - {name: plex, kind: service, manager: exec, start: [touch, `+up+`], stop: [rm, -f, `+up+`], status: [test, -f, `+up+`], timeout: 20s}
`)
	b := &state.Dir{Path: backups}
	defer b.Close()

	// The orphaned rest of a stop command: it stops the server 300 ms from now.
	mark := "00112233445566778899aabbccddeeff"
	cmd := exec.Command("sh", "-c", `(sleep 0.3; rm -f "$1") & exit 0`, "sh", up)
	cmd.Env = append(os.Environ(), service.MarkVar+"="+mark)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	j := &journal{backups: b, j: state.Journal{Format: state.JournalFormat, PID: 1, Started: time.Now().UTC(), Step: stepStopped,
		Services: []state.JournalService{{Resource: "plex", WasRunning: true}},
		InFlight: []state.JournalCommand{{Mark: mark, Service: "plex", Manager: "exec", Action: "stop", Started: time.Now().UTC()}}}}
	if err := j.save(stepStopped, true); err != nil {
		t.Fatal(err)
	}

	var obs recordingObserver
	if _, err := Recover(context.Background(), RecoverOperation{Host: h, Options: Options{Backups: b, Observer: &obs}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // past the moment the leftover would have stopped it
	if _, err := os.Stat(up); err != nil {
		t.Error("the server is stopped after recover: the stop the killed run left finished after recover looked")
	}
	if !obs.has(EventWarning, "Waited for the stop command of plex") {
		t.Errorf("recover did not say it waited for the leftover command: %v", obs.messages())
	}
}

// recordingObserver keeps the events' types and messages.
type recordingObserver struct{ events []Event }

func (o *recordingObserver) Event(e Event)                         { o.events = append(o.events, e) }
func (o *recordingObserver) Waiting(string, string, time.Duration) {}

func (o *recordingObserver) has(typ, prefix string) bool {
	for _, e := range o.events {
		if e.Type == typ && strings.HasPrefix(e.Message, prefix) {
			return true
		}
	}
	return false
}

func (o *recordingObserver) messages() []string {
	var out []string
	for _, e := range o.events {
		out = append(out, e.Type+": "+e.Message)
	}
	return out
}

// A run killed after it wrote a store but before it recorded moving the service (a
// status that lied at plan time said the server was down, so it planned no stop): the
// journal names no service, yet recover must stop the server to restore the store, and
// then start it again, as it found it. And the journal says so before the stop, so that
// a recover killed while the server is down leaves the next one to start it.
func TestRecoverStartsAgainAServiceItStoppedToRestore(t *testing.T) {
	dir := t.TempDir()
	prefs, up, backups := filepath.Join(dir, "Preferences.xml"), filepath.Join(dir, "up"), filepath.Join(dir, "backups")
	for _, p := range []string{prefs, up} {
		if err := os.WriteFile(p, []byte(prefsXML), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := bind(t, `version: 1
resources:
  - {name: prefs, kind: xml_attributes, path: `+prefs+`, absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, manager: exec, start: [touch, `+up+`], stop: [rm, -f, `+up+`], status: [test, -f, `+up+`]}
`)
	b, _ := killedAfterWrite(t, h, backups, prefs)
	ctx := context.Background()
	if _, err := Recover(ctx, RecoverOperation{Host: h, Options: Options{Backups: b}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(prefs); string(got) != prefsXML {
		t.Errorf("Preferences.xml after recover: %q", got)
	}
	if _, err := os.Stat(up); err != nil {
		t.Error("recover stopped the server to restore the store and left it stopped")
	}
}

// An apply killed after its stop command ended but before the server was down: the
// server is on its way down and an exec status that asks only whether it lives still
// says "running". Recover must not take that for the state to keep: it stops the server
// itself, waits until it is down, and starts it.
func TestRecoverRestartsAServerStillGoingDown(t *testing.T) {
	dir := t.TempDir()
	up, backups := filepath.Join(dir, "up"), filepath.Join(dir, "backups")
	if err := os.WriteFile(up, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := bind(t, `version: 1
resources:
  - {name: plex, kind: service, manager: exec, start: [sh, -c, 'echo new >"$0"', `+up+`], stop: [rm, -f, `+up+`], status: [test, -f, `+up+`], timeout: 20s}
`)
	b := &state.Dir{Path: backups}
	defer b.Close()
	// The old server finishes its shutdown 300 ms from now: it is gone then, not a new one.
	going := exec.Command("sh", "-c", `sleep 0.3; [ "$(cat "$1")" = old ] && rm -f "$1"`, "sh", up)
	if err := going.Start(); err != nil {
		t.Fatal(err)
	}
	defer going.Wait()
	j := &journal{backups: b, j: state.Journal{Format: state.JournalFormat, PID: 1, Started: time.Now().UTC(), Step: stepStopped,
		Services: []state.JournalService{{Resource: "plex", WasRunning: true}}}}
	if err := j.save(stepStopped, true); err != nil {
		t.Fatal(err)
	}
	if _, err := Recover(context.Background(), RecoverOperation{Host: h, Options: Options{Backups: b}}); err != nil {
		t.Fatal(err)
	}
	_ = going.Wait()
	if _, err := os.Stat(up); err != nil {
		t.Error("the server is down after recover: it took a server going down for one that runs")
	}
}
