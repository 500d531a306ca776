//go:build unix

package executor_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/stores/service"
)

// BenchmarkResetDowntime measures what the reset costs Plex's users: the time from the
// server being down to its start being issued (Result.Downtime), over the simulator
// under s6 and under the exec manager, for a 2 KB Preferences.xml and a 5 MB one. The
// metric is the median. bench/ runs it.
//
// Before each apply the server is signed in and restarted once, so the file on disk is
// the server's own rewrite of what it holds, as on a real host: its shutdown during the
// apply then leaves the same bytes, and the apply takes the fast path (compare, rename).
// The "rewritten" case signs in by hand-editing the file instead, so the shutdown write
// differs and the apply backs up and stages again while the server is down.
func BenchmarkResetDowntime(b *testing.B) {
	for _, size := range []struct {
		name string
		pad  int
	}{{"2KB", 1500}, {"5MB", 5 << 20}} {
		b.Run("s6-"+size.name, func(b *testing.B) {
			sim := superviseSim(b, "")
			benchResets(b, sim.simHost, sim.planYAML(planOpts{}), size.pad, func() { sim.stop(b); sim.start(b) })
		})
		b.Run("s6-rewritten-"+size.name, func(b *testing.B) {
			sim := superviseSim(b, "")
			benchResets(b, sim.simHost, sim.planYAML(planOpts{}), size.pad, nil)
		})
	}
	b.Run("exec-2KB", func(b *testing.B) {
		h, serviceYAML, restart := execSim(b)
		benchResets(b, h, h.planYAML(serviceYAML, planOpts{}), 1500, restart)
	})
}

// benchResets signs the server in and applies the reset b.N times. restart, when given,
// lets the server rewrite the signed-in file in its own form before each apply.
func benchResets(b *testing.B, h *simHost, yaml string, pad int, restart func()) {
	var downtimes []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h.signInAgain(b, pad)
		if restart != nil {
			restart()
		}
		b.StartTimer()
		res, err := h.apply(b, yaml, nil)
		if err != nil {
			b.Fatalf("apply: %v", err)
		}
		if !res.Changes.HasChanges() || res.Downtime <= 0 {
			b.Fatalf("apply %d reset nothing (downtime %s)", i, res.Downtime)
		}
		if restart != nil && res.Rechecked {
			b.Fatalf("apply %d: the server's shutdown write changed the file, so this is not the case being measured", i)
		}
		downtimes = append(downtimes, res.Downtime)
	}
	slices.Sort(downtimes)
	b.ReportMetric(float64(downtimes[len(downtimes)/2])/float64(time.Millisecond), "downtime-ms")
}

// signInAgain makes the running server signed in again, as a user would by claiming it,
// and puts the sign-in in the file too, so the apply's first read sees work to do.
func (h *simHost) signInAgain(tb testing.TB, pad int) {
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
	h.writePrefs(tb, padded(pad))
}

// padded is the signed-in file grown to about size bytes with settings of the kind a
// large Preferences.xml has (long lists kept as attributes).
func padded(size int) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(signedIn, " />"))
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, ` Pad%06d="%s"`, i, strings.Repeat("x", 200))
	}
	b.WriteString(" />")
	return b.String()
}

// execSim runs the simulator with init-script-like commands (a pid file and signals)
// for the exec manager, and returns the plan's service lines for them.
func execSim(tb testing.TB) (*simHost, string, func()) {
	tb.Helper()
	h := newSimHost(tb)
	pidFile := filepath.Join(h.dir, "plexsim.pid")
	start := []string{"sh", "-c", shellquote.Join(h.simArgs("")) + ` >/dev/null 2>&1 & echo $! >"$0"`, pidFile}
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
	restart := func() {
		_ = svc.Stop(ctx)
		if err := service.WaitFor(ctx, svc, false, waitLimit, nil); err != nil {
			tb.Fatal(err)
		}
		_ = os.Remove(h.addrFile)
		if err := svc.Start(ctx); err != nil {
			tb.Fatal(err)
		}
		plexsimtest.WaitAddr(tb, h.addrFile)
	}
	return h, fmt.Sprintf("    manager: exec\n    start: %s\n    stop: %s\n    status: %s\n", flowList(start), flowList(stop), flowList(status)), restart
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
	h, serviceYAML, _ := execSim(t)
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
	h.signInAgain(t, 0)
	if id, err := plexsimtest.GetIdentity(h.listen); err != nil || id.Claimed != "1" {
		t.Errorf("/identity after signing in again: %+v, %v", id, err)
	}
}
