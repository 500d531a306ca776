//go:build unix

package executor_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/plan"
)

var (
	pausingOnce sync.Once
	pausingBin  string
	pausingErr  error
)

// pausingPlexform builds plexform with the plexformtest tag, whose apply stops at the
// step named by PLEXFORM_TEST_PAUSE_AT so a test can kill it there.
func pausingPlexform(t *testing.T) string {
	t.Helper()
	pausingOnce.Do(func() {
		dir, err := os.MkdirTemp("", "plexform-pausing-")
		if err != nil {
			pausingErr = err
			return
		}
		pausingBin = filepath.Join(dir, "plexform")
		out, err := exec.Command("go", "build", "-tags", "plexformtest", "-o", pausingBin, "github.com/plexform/plexform/cmd/plexform").CombinedOutput()
		if err != nil {
			pausingErr = fmt.Errorf("go build -tags plexformtest: %v\n%s", err, out)
		}
	})
	if pausingErr != nil {
		t.Fatal(pausingErr)
	}
	return pausingBin
}

// TestKillAtEveryStepThenRecover kills an apply of a two-store plan at each step with
// SIGKILL, as a power cut would, and checks that `plexform recover` puts both stores back
// byte for byte and the server back up.
func TestKillAtEveryStepThenRecover(t *testing.T) {
	steps := []struct {
		at          string
		failVerify  bool
		wantWritten bool
	}{
		{at: "prepared"},
		{at: "stopped"},
		{at: "backed-up"},
		{at: "written:prefs"}, // Other.xml is written next
		{at: "written:other", wantWritten: true},
		{at: "started", wantWritten: true},
		{at: "rolling-back", failVerify: true, wantWritten: true},
	}
	bin := pausingPlexform(t)
	for _, step := range steps {
		t.Run(step.at, func(t *testing.T) {
			sim := superviseSim(t, "")
			// Let the server write the file in its own form once, so that its rewrite on
			// shutdown leaves the same bytes and "as at the start" can be compared byte
			// for byte.
			sim.stop(t)
			sim.start(t)
			other := filepath.Join(sim.dir, "other", "Other.xml")
			if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(other, []byte(`<Preferences PlexOnlineToken="tok-other-77Qx" Kept="yes"/>`+"\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			startPrefs, startOther := sim.readPrefs(t), mustRead(t, other)

			verifyURL := "http://" + sim.listen + "/identity"
			if step.failVerify {
				verifyURL = "http://" + plexsimtest.FreeAddr(t) + "/nothing-listens-here"
			}
			planFile := sim.writePlan(t, fmt.Sprintf(`version: 1
backups: {dir: %q}
resources:
  - {name: prefs, kind: xml_attributes, path: %q, absent: [%s], service: plex}
  - {name: other, kind: xml_attributes, path: %q, absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, manager: s6, dir: %q, timeout: 30s}
verify:
  - http: {url: %q, status: 200, timeout: 2s}
`, sim.backups, sim.prefs, strings.Join(plan.SignInValues, ", "), other, sim.svcDir, verifyURL))

			marker := filepath.Join(t.TempDir(), "paused")
			cmd := exec.Command(bin, "apply", "-auto-approve", "-f", planFile)
			cmd.Env = append(os.Environ(), "PLEXFORM_TEST_PAUSE_AT="+step.at, "PLEXFORM_TEST_PAUSED="+marker, "NO_COLOR=1")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitForFile(t, marker, cmd, &out)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()

			journal := filepath.Join(sim.backups, "journal.json")
			if _, err := os.Stat(journal); err != nil {
				t.Fatalf("no journal after a kill at %s: %v", step.at, err)
			}
			if fi, err := os.Stat(journal); err == nil && fi.Mode().Perm() != 0o600 {
				t.Errorf("journal mode %v, want 0600", fi.Mode().Perm())
			}
			if written := mustRead(t, other) != startOther; written != step.wantWritten && step.at != "rolling-back" {
				t.Errorf("after a kill at %s, Other.xml written = %v, want %v", step.at, written, step.wantWritten)
			}
			// Every later run refuses and names recover.
			for _, args := range [][]string{{"plan", "-f", planFile}, {"apply", "-auto-approve", "-f", planFile}} {
				res, err := exec.Command(bin, args...).CombinedOutput()
				if err == nil || !strings.Contains(string(res), "plexform recover") {
					t.Errorf("%s after a kill: err=%v, output does not name `plexform recover`:\n%s", args[0], err, res)
				}
			}

			rec, err := exec.Command(bin, "recover", "-auto-approve", "-f", planFile).CombinedOutput()
			if err != nil {
				t.Fatalf("recover after a kill at %s: %v\n%s", step.at, err, rec)
			}
			if strings.Contains(string(rec), simToken) || strings.Contains(string(rec), "tok-other-77Qx") {
				t.Fatal("recover printed a token")
			}
			if got := sim.readPrefs(t); got != startPrefs {
				t.Errorf("after recover from a kill at %s, Preferences.xml is not as at the start:\n%s\nwant:\n%s", step.at, got, startPrefs)
			}
			if got := mustRead(t, other); got != startOther {
				t.Errorf("after recover from a kill at %s, Other.xml is not as at the start: %q", step.at, got)
			}
			if !sim.running(t) {
				t.Errorf("after recover from a kill at %s, the server is not running (it was before the apply)", step.at)
			}
			if _, err := os.Stat(journal); !os.IsNotExist(err) {
				t.Errorf("recover left the journal: %v", err)
			}
			for _, dir := range []string{filepath.Dir(sim.prefs), filepath.Dir(other)} {
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if strings.Contains(e.Name(), ".plexform-") {
						t.Errorf("a staged file was left in %s: %s", dir, e.Name())
					}
				}
			}
			// And the host is usable again: the same plan applies.
			if res, err := exec.Command(bin, "apply", "-auto-approve", "-f", planFile).CombinedOutput(); (err == nil) == step.failVerify {
				t.Errorf("apply after recover: err=%v\n%s", err, res)
			}
		})
	}
}

func TestRecoverWithNothingToRecoverChangesNothing(t *testing.T) {
	bin := pausingPlexform(t)
	sim := superviseSim(t, "")
	planFile := sim.writePlan(t, sim.planYAML(planOpts{}))
	before := sim.readPrefs(t)
	out, err := exec.Command(bin, "recover", "-auto-approve", "-f", planFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Nothing to recover") {
		t.Fatalf("recover with no journal: %v\n%s", err, out)
	}
	if sim.readPrefs(t) != before || !sim.running(t) {
		t.Error("recover with nothing to recover changed the host")
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// waitForFile waits until the paused apply says it reached its step; an apply that ends
// first never reached it, which fails the test with its output.
func waitForFile(t *testing.T, path string, cmd *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		var ws syscall.WaitStatus
		if pid, _ := syscall.Wait4(cmd.Process.Pid, &ws, syscall.WNOHANG, nil); pid == cmd.Process.Pid {
			t.Fatalf("apply ended (%v) before it reached the step:\n%s", ws, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("apply did not reach the step within %s:\n%s", waitLimit, out.String())
}
