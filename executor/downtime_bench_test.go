//go:build unix

package executor_test

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/stores/service"
)

// BenchmarkResetDowntime measures what the reset costs Plex's users: the time from the
// server being down to its start being issued (Result.Downtime), over the simulator
// under s6 and under the exec manager. The target is a median under 20 ms; the metric
// is that median. bench/downtime.sh runs it.
func BenchmarkResetDowntime(b *testing.B) {
	b.Run("s6", func(b *testing.B) {
		sim := superviseSim(b, "")
		benchResets(b, sim.simHost, sim.planYAML(planOpts{}))
	})
	b.Run("exec", func(b *testing.B) {
		h, serviceYAML := execSim(b)
		benchResets(b, h, h.planYAML(serviceYAML, planOpts{}))
	})
}

func benchResets(b *testing.B, h *simHost, yaml string) {
	var downtimes []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h.signInAgain(b)
		b.StartTimer()
		res, err := h.apply(b, yaml, nil)
		if err != nil {
			b.Fatalf("apply: %v", err)
		}
		if !res.Changes.HasChanges() || res.Downtime <= 0 {
			b.Fatalf("apply %d reset nothing (downtime %s)", i, res.Downtime)
		}
		downtimes = append(downtimes, res.Downtime)
	}
	slices.Sort(downtimes)
	b.ReportMetric(float64(downtimes[len(downtimes)/2])/float64(time.Millisecond), "downtime-ms")
}

// signInAgain makes the running server signed in again, as a user would by claiming it,
// and puts the sign-in in the file too, so the apply's first read sees work to do.
func (h *simHost) signInAgain(tb testing.TB) {
	tb.Helper()
	addr := plexsimtest.WaitAddr(tb, h.addrFile)
	id, err := plexsimtest.GetIdentity(addr)
	if err != nil {
		tb.Fatal(err)
	}
	if id.Claimed == "0" {
		resp, err := http.Post("http://"+addr+"/myplex/claim?token=claim-benchBenchBench01234", "", nil)
		if err != nil {
			tb.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			tb.Fatalf("claim: %s", resp.Status)
		}
	}
	h.writePrefs(tb, signedIn)
}

// execSim runs the simulator with init-script-like commands (a pid file and signals)
// for the exec manager, and returns the plan's service lines for them.
func execSim(tb testing.TB) (*simHost, string) {
	tb.Helper()
	h := newSimHost(tb)
	pidFile := filepath.Join(h.dir, "plexsim.pid")
	start := []string{"sh", "-c", plexsimtest.ShellQuote(h.simArgs("")) + ` >/dev/null 2>&1 & echo $! >"$0"`, pidFile}
	stop := []string{"sh", "-c", `kill -TERM "$(cat "$0")"`, pidFile}
	// A stopped server nobody has reaped yet (PID 1 may not) is a zombie: stopped.
	status := []string{"sh", "-c", `pid=$(cat "$0" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status"`, pidFile}
	svc, err := service.NewExec(start, stop, status, service.OSRunner{})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if up, _ := svc.Running(ctx); up {
			_ = svc.Stop(ctx)
			_ = service.WaitFor(ctx, svc, false, waitLimit, nil)
		}
	})
	plexsimtest.WaitAddr(tb, h.addrFile)
	return h, fmt.Sprintf("    manager: exec\n    start: %s\n    stop: %s\n    status: %s\n", flowList(start), flowList(stop), flowList(status))
}

// flowList spells argv as a YAML flow sequence of double-quoted strings.
func flowList(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// The exec commands the benchmark uses must really drive the server, or the benchmark
// would time a reset that never stops anything.
func TestExecSimResetsLikeS6(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("the exec commands need sh")
	}
	h, serviceYAML := execSim(t)
	res, err := h.apply(t, h.planYAML(serviceYAML, planOpts{}), nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res.Downtime <= 0 || !res.Changes.HasChanges() {
		t.Errorf("apply under exec: downtime %s, changes %v", res.Downtime, res.Changes.HasChanges())
	}
	if id, err := plexsimtest.GetIdentity(h.listen); err != nil || id.Claimed != "0" {
		t.Errorf("/identity after the reset under exec: %+v, %v", id, err)
	}
	h.signInAgain(t)
	if id, err := plexsimtest.GetIdentity(h.listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after signing in again: %+v, %v", id, err)
	}
}
