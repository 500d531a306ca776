//go:build windows

package executor_test

// End-to-end tests of the Windows app: the simulator, installed as "Plex Media Server.exe"
// in the folder the InstallFolder registry value names, keeps its settings in
// HKCU\Software\Plex, Inc.\Plex Media Server and quits on WM_CLOSE as PMS does; plexform
// resets it through host.Open and executor.Apply with the windows-app manager (taskkill
// without /f, start from InstallFolder), exactly as `plexform apply` does it.
//
// They run under Wine from scripts/wine-test.sh, which builds the simulator for Windows
// and names it in PLEXFORM_WINE_PLEXSIM. They stop every process of that image name and
// rewrite PMS's own registry key, so they run nowhere else: not on a Windows machine
// that may have a real Plex.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

const plexKey = plexsimtest.PlexKey

// wineApp is a Windows host with Plex installed and running as the signed-in user's app.
type wineApp struct {
	*plexsimtest.WindowsApp
	backups string
	app     *service.WindowsApp
}

// newWineApp installs the simulator, seeds PMS's registry key with a signed-in server
// and starts it. refuseIf, when set, is a value that makes the simulator refuse to start.
func newWineApp(t *testing.T, refuseIf string) *wineApp {
	t.Helper()
	inst := plexsimtest.InstallWindowsApp(t)
	w := &wineApp{WindowsApp: inst, backups: filepath.Join(inst.Dir, "backups"), app: service.NewWindowsApp(nil)}
	plexsimtest.SeedPlexKey(t,
		[3]string{"InstallFolder", "REG_SZ", w.Install},
		[3]string{"MachineIdentifier", "REG_SZ", "mi-wine"},
		[3]string{"ProcessedMachineIdentifier", "REG_SZ", "pmi-wine"},
		[3]string{"FriendlyName", "REG_SZ", "den"},
		[3]string{"AcceptedEULA", "REG_DWORD", "1"},
		[3]string{"PlexOnlineHome", "REG_SZ", "1"},
		[3]string{"PlexOnlineMail", "REG_SZ", "alice@example.com"},
		[3]string{"PlexOnlineToken", "REG_SZ", simToken},
		[3]string{"PlexOnlineUsername", "REG_SZ", "alice"},
	)
	t.Setenv("PLEXSIM_REFUSE_IF_ATTR", refuseIf)
	t.Cleanup(func() {
		// Whatever the test left running goes, without a chance to write.
		ctx := context.Background()
		if up, _ := w.app.Running(ctx); up {
			_ = w.app.ForceStop(ctx)
			_ = service.WaitFor(ctx, w.app, false, waitLimit, nil)
		}
	})
	w.start(t)
	return w
}

func (w *wineApp) start(t *testing.T) {
	t.Helper()
	os.Remove(w.AddrFile)
	moveService(t, w.app, true)
	plexsimtest.WaitAddr(t, w.AddrFile)
}

func (w *wineApp) stop(t *testing.T) {
	t.Helper()
	moveService(t, w.app, false)
}

func (w *wineApp) running(t *testing.T) bool {
	t.Helper()
	return serviceRunning(t, w.app)
}

// planYAML is the reset plan: the four sign-in values absent from PMS's key, which the
// app guards, and /identity answering after the start. set is one more value to write.
func (w *wineApp) planYAML(set string, verifyTimeout time.Duration) string {
	if set != "" {
		set = fmt.Sprintf("    set: {%s: \"1\"}\n", set)
	}
	return fmt.Sprintf(`version: 1
backups:
  dir: %q
resources:
  - name: prefs
    kind: registry_values
    key: 'HKCU\%s'
    absent: [%s]
%s    service: plex
    when: {os: [windows]}
  - name: plex
    kind: service
    manager: windows-app
    when: {os: [windows]}
    state: running
    timeout: 30s
verify:
  - http: {url: "http://%s/identity", status: 200, timeout: %s}
`, w.backups, plexKey, strings.Join(plan.SignInValues, ", "), set, w.Listen, verifyTimeout)
}

func (w *wineApp) apply(t *testing.T, yaml string, obs executor.Observer) (*executor.Result, error) {
	t.Helper()
	return applyIn(t, w.Dir, w.backups, yaml, obs)
}

func TestWineWindowsAppResetWhileRunning(t *testing.T) {
	w := newWineApp(t, "")
	before := plexsimtest.ReadPlexKey(t)
	if id, err := plexsimtest.GetIdentity(w.Listen); err != nil || id.Claimed != "1" {
		t.Fatalf("/identity before the reset: %+v, %v", id, err)
	}
	// A value deleted while the app runs comes back when it quits: the key plexform
	// must edit is the one the app leaves, read after the stop.
	plexsimtest.Reg(t, "delete", `HKCU\`+plexKey, "/v", "FriendlyName", "/f")

	var atStop map[string]plexsimtest.RegValue
	rec := &recorder{on: func(e executor.Event) {
		if e.Type == executor.EventStopped {
			atStop = plexsimtest.ReadPlexKey(t)
		}
	}}
	res, err := w.apply(t, w.planYAML("", waitLimit), rec)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	t.Logf("events: %v", rec.types())
	if d := plexsimtest.KeyDiff(atStop, before); len(d) != 0 {
		t.Errorf("the key as the app left it on its way down differs from before in %v; want what the app read at start written back", d)
	}
	wantTypes := []string{executor.EventStopping, executor.EventStopped, executor.EventBackedUp, executor.EventWritten,
		executor.EventStarting, executor.EventStarted, executor.EventVerified}
	if got := rec.types(); !slices.Equal(got, wantTypes) {
		t.Errorf("events %v, want %v", got, wantTypes)
	}
	// Had plexform written before the app was down, the app would have put the sign-in
	// back on its way down.
	after := plexsimtest.ReadPlexKey(t)
	for _, name := range plan.SignInValues {
		delete(before, name)
	}
	if d := plexsimtest.KeyDiff(after, before); len(d) != 0 {
		t.Errorf("after the reset the key differs from before without the sign-in in %v", d)
	}
	if !w.running(t) {
		t.Error("the app is not running after the apply")
	}
	if id, err := plexsimtest.GetIdentity(w.Listen); err != nil || id.Claimed != "0" || id.MachineIdentifier != "pmi-wine" {
		t.Errorf("/identity after the reset: %+v, %v; want unclaimed, same server", id, err)
	}
	if _, _, remove := res.Changes.Summary(); remove != 4 {
		t.Errorf("%d values removed, want 4", remove)
	}
	if len(res.Backups) != 1 {
		t.Errorf("backups: %d, want 1", len(res.Backups))
	}

	// The reset holds through the app's own next shutdown, and a second apply has
	// nothing to do and leaves the app alone.
	w.stop(t)
	if d := plexsimtest.KeyDiff(plexsimtest.ReadPlexKey(t), after); len(d) != 0 {
		t.Errorf("the app's shutdown after the reset changed %v", d)
	}
	w.start(t)
	again := &recorder{}
	res, err = w.apply(t, w.planYAML("", waitLimit), again)
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if res.Changes.HasChanges() || len(again.types()) != 0 {
		t.Errorf("the second apply did %v; want nothing", again.types())
	}
}

// A sign-in value deleted by hand while the app runs is back after the stop, so the
// writes the plan showed are not the ones needed: the apply refuses, writes nothing, and
// the app runs again as it was.
func TestWineWindowsAppChangedOnItsWayDownRefuses(t *testing.T) {
	w := newWineApp(t, "")
	before := plexsimtest.ReadPlexKey(t)
	plexsimtest.Reg(t, "delete", `HKCU\`+plexKey, "/v", "PlexOnlineMail", "/f")

	_, err := w.apply(t, w.planYAML("", waitLimit), &recorder{})
	if err == nil || !strings.Contains(err.Error(), "changed after the plan was shown") {
		t.Fatalf("apply: %v; want a refusal saying the key changed after the plan was shown", err)
	}
	if d := plexsimtest.KeyDiff(plexsimtest.ReadPlexKey(t), before); len(d) != 0 {
		t.Errorf("after the refusal the key differs from what the app wrote in %v", d)
	}
	if !w.running(t) {
		t.Error("the app is not running after the refused apply")
	}
	if id, err := plexsimtest.GetIdentity(w.Listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after the refused apply: %+v, %v; want the server as it was, claimed", id, err)
	}
}

// refuseValue makes the simulator refuse to start; the plan sets it, so the app will not
// come back after the change.
const refuseValue = "PlexformTestRefuse"

func TestWineWindowsAppThatWillNotStartIsRolledBack(t *testing.T) {
	w := newWineApp(t, refuseValue)
	// Once through the app's own stop and start, so the key holds what the app writes.
	w.stop(t)
	w.start(t)
	before := plexsimtest.ReadPlexKey(t)

	rec := &recorder{}
	_, err := w.apply(t, w.planYAML(refuseValue, 5*time.Second), rec)
	f, ok := executor.IsFailure(err)
	if !ok {
		t.Fatalf("apply of a change the app refuses: %v; want a Failure", err)
	}
	t.Logf("events: %v; error: %v", rec.types(), err)
	if !f.RolledBack || !f.Changed || len(f.Left) != 0 {
		t.Errorf("Failure: rolled back %v, changed %v, left %v; want rolled back completely", f.RolledBack, f.Changed, f.Left)
	}
	if msg := f.Error(); strings.Contains(msg, simToken) || !strings.Contains(msg, "identity") {
		t.Errorf("the failure %q should name the check that failed, and never the token", msg)
	}
	if d := plexsimtest.KeyDiff(plexsimtest.ReadPlexKey(t), before); len(d) != 0 {
		t.Errorf("after the rollback the key differs from before the apply in %v", d)
	}
	if !w.running(t) {
		t.Error("the app is not running after the rollback")
	}
	if id, err := plexsimtest.GetIdentity(w.Listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after the rollback: %+v, %v; want the server as it was, claimed", id, err)
	}
	for _, want := range []string{executor.EventWritten, executor.EventRollback, executor.EventRestored} {
		if !slices.Contains(rec.types(), want) {
			t.Errorf("events %v lack %q", rec.types(), want)
		}
	}
}
