//go:build linux

package executor_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
)

// loadPrefs is the store every plan of the load test edits.
const loadPrefs = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<Preferences MachineIdentifier="m" PlexOnlineToken="tok-LOAD-123456" PlexOnlineMail="jane@example.com" FriendlyName="den"/>` + "\n"

// Load bounds, per plexform process: generous (a few times what a run takes, see the
// figures the test logs), but real: a leak per store, per retry or per signal would
// cross them.
const (
	maxRSSKiB = 48 << 10 // peak resident set (VmHWM) up to the server's start
	maxFDs    = 32       // open descriptors while the server is stopped, the busiest moment
)

// loadHost is one host of the load test: a Preferences.xml guarded by an exec service
// whose state is a file. Its stop command runs while plexform holds every lock and has
// staged and backed up its write: it counts plexform's open descriptors then, notes its
// peak resident set so far (VmHWM), and takes a mark that a second run stopping the same
// server at the same time would find taken; its start command, after the write, notes
// the peak again and logs which plexform started it.
//
// The kernel's rusage of the process is no use here: Go starts a child with a clone
// that shares the test's memory until the exec, and Linux carries that memory's peak
// into the child's ru_maxrss, so every child would report the test's own size.
type loadHost struct {
	dir, prefs, up, mark, overlaps, fds, hwm, starts, plan, backups string
}

func newLoadHost(t *testing.T, set string) *loadHost { return newLoadHostPausing(t, set, "") }

// newLoadHostPausing is newLoadHost whose stop command runs pause (a shell command)
// last, with the server down: a window for signals.
func newLoadHostPausing(t *testing.T, set, pause string) *loadHost {
	if pause == "" {
		pause = ":"
	}
	t.Helper()
	dir := t.TempDir()
	h := &loadHost{dir: dir, prefs: filepath.Join(dir, "Preferences.xml"), up: filepath.Join(dir, "up"),
		mark: filepath.Join(dir, "stopped-by"), overlaps: filepath.Join(dir, "overlaps"), fds: filepath.Join(dir, "fds"), hwm: filepath.Join(dir, "hwm"),
		starts: filepath.Join(dir, "starts"), plan: filepath.Join(dir, "plexform.yaml"), backups: filepath.Join(dir, "backups")}
	for path, data := range map[string]string{h.prefs: loadPrefs, h.up: ""} {
		if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	yaml := fmt.Sprintf(`version: 1
backups: {dir: %s, keep: 100}
resources:
  - name: prefs
    kind: xml_attributes
    path: %s
    absent: [PlexOnlineToken, PlexOnlineMail]%s
    service: plex
  - name: plex
    kind: service
    manager: exec
    status: [test, -f, %s]
    stop: [sh, -c, 'ls /proc/$PPID/fd | wc -l >> %[5]s; %[9]s; mkdir %[6]s 2>/dev/null || echo "$PPID" >> %[7]s; rm -f %[4]s; %[10]s']
    start: [sh, -c, '%[9]s; echo "$PPID" >> %[8]s; rmdir %[6]s; touch %[4]s']
    timeout: 20s
`, h.backups, h.prefs, set, h.up, h.fds, h.mark, h.overlaps, h.starts,
		`sed -n "s/^VmHWM:[^0-9]*\\([0-9]*\\).*/\\1/p" /proc/$PPID/status >> `+h.hwm, pause)
	if err := os.WriteFile(h.plan, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// lines reads a log the service commands append to; a missing one is empty.
func lines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

// loadRun is one plexform process of the load test and how it ended.
type loadRun struct {
	cmd            *exec.Cmd
	value          string // the FriendlyName it sets (same-plan runs)
	waits          bool   // it waits for the lock (-lock-timeout)
	stdout, stderr bytes.Buffer
	code           int
	err            error
}

func (r *loadRun) pid() int { return r.cmd.Process.Pid }

func startLoadRun(t *testing.T, bin string, h *loadHost, value string, lockWait time.Duration) *loadRun {
	t.Helper()
	r := &loadRun{value: value, waits: lockWait > 0}
	r.cmd = exec.Command(bin, "apply", "-auto-approve", "-no-color", "-lock-timeout", lockWait.String(), "-f", h.plan)
	r.cmd.Env = append(os.Environ(), "PLEXFORM_LOAD_NAME="+value, "CI=")
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start plexform: %v", err)
	}
	return r
}

func (r *loadRun) wait() {
	r.err = r.cmd.Wait()
	r.code = r.cmd.ProcessState.ExitCode()
}

// expectedAfterReset is what the reset plan leaves in loadPrefs, as the executor
// itself computes it on a copy: the load test then compares bytes, not a guess.
func expectedAfterReset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(path, []byte(loadPrefs), 0o640); err != nil {
		t.Fatal(err)
	}
	p, err := plan.Decode(filepath.Join(dir, "p.yaml"), []byte("version: 1\nresources:\n  - {name: prefs, kind: xml_attributes, path: "+path+", absent: [PlexOnlineToken, PlexOnlineMail]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.Open(p, host.Options{GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := executor.Apply(context.Background(), h, executor.Options{Backups: &state.Dir{Path: filepath.Join(dir, "backups")}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var lockHolderRE = regexp.MustCompile(`another plexform apply \(pid (\d+)\) is running against `)

// TestLoadManyAppliesAtOnce: 50 applies of 50 plans (each its own store, service and
// backups dir) and 50 applies of one plan, 100 plexform processes started together.
// Each of the 50 plans is applied exactly, byte for byte. Of the 50 on one plan, each
// setting its own value, half wait for the lock (-lock-timeout) and all of those run;
// the other half run if the lock is free and are otherwise refused at once, naming the
// pid of a run that held it, and change nothing. Those that run do so one at a time (no
// two ever have the server stopped at once), each writes its value, and the store ends
// with the last one's. Every process's peak memory and open descriptors stay bounded.
func TestLoadManyAppliesAtOnce(t *testing.T) {
	const n = 50
	bin := buildPlexform(t)
	want := expectedAfterReset(t)
	var own []*loadHost
	for range n {
		own = append(own, newLoadHost(t, ""))
	}
	shared := newLoadHost(t, "\n    set: {FriendlyName: {env: PLEXFORM_LOAD_NAME}}")

	// All 100 at once, the two groups interleaved.
	var runs, ownRuns, sharedRuns []*loadRun
	began := time.Now()
	for i := range n {
		o := startLoadRun(t, bin, own[i], "", 0)
		wait := time.Duration(0)
		if i%2 == 0 {
			wait = 2 * time.Minute
		}
		s := startLoadRun(t, bin, shared, fmt.Sprintf("load-%02d", i), wait)
		ownRuns, sharedRuns = append(ownRuns, o), append(sharedRuns, s)
		runs = append(runs, o, s)
	}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); r.wait() }()
	}
	wg.Wait()
	t.Logf("%d plexform processes ran in %s", len(runs), time.Since(began).Round(time.Millisecond))

	// The 50 plans of their own: each applied, exactly.
	for i, r := range ownRuns {
		h := own[i]
		if r.code != 0 {
			t.Errorf("apply of plan %d: exit %d\n%s%s", i, r.code, r.stdout.String(), r.stderr.String())
			continue
		}
		if got, _ := os.ReadFile(h.prefs); string(got) != want {
			t.Errorf("plan %d: Preferences.xml after the apply:\n%s\nwant:\n%s", i, got, want)
		}
		if _, err := os.Stat(h.up); err != nil {
			t.Errorf("plan %d: the server is not running after the apply", i)
		}
		if o := lines(t, h.overlaps); len(o) != 0 {
			t.Errorf("plan %d: stopped twice at once by %v", i, o)
		}
	}

	// The 50 on one plan: one at a time, each refusal names a run that held the lock.
	var applied []*loadRun
	for _, r := range sharedRuns {
		switch {
		case r.code == 0:
			applied = append(applied, r)
		case r.code == 1 && !r.waits:
			m := lockHolderRE.FindStringSubmatch(r.stderr.String())
			if m == nil || !strings.HasSuffix(strings.TrimSpace(r.stderr.String()), "Nothing was changed.") {
				t.Errorf("a refused apply (pid %d) does not say who holds the lock, or that nothing was changed:\n%s", r.pid(), r.stderr.String())
				continue
			}
			switch holder := runOf(sharedRuns, m[1]); {
			case holder == nil:
				t.Errorf("pid %d names pid %s as the holder, which is none of the applies of this plan", r.pid(), m[1])
			case holder.code != 0:
				t.Errorf("pid %d names pid %s as the holder, which did not get the lock (exit %d)", r.pid(), m[1], holder.code)
			}
		default:
			t.Errorf("an apply of the shared plan (pid %d): exit %d\n%s%s", r.pid(), r.code, r.stdout.String(), r.stderr.String())
		}
	}
	if len(applied) == 0 {
		t.Fatal("no apply of the shared plan got the lock")
	}
	if o := lines(t, shared.overlaps); len(o) != 0 {
		t.Errorf("applies of one plan had the server stopped at the same time: %v", o)
	}
	starts := lines(t, shared.starts)
	if len(starts) != len(applied) {
		t.Errorf("%d applies of the shared plan got the lock, but the server was started %d times", len(applied), len(starts))
	}
	for _, r := range applied {
		if !slices.Contains(starts, strconv.Itoa(r.pid())) {
			t.Errorf("pid %d exited 0 but never started the server (it wrote nothing)", r.pid())
		}
	}
	if len(starts) > 0 {
		last := runOf(sharedRuns, starts[len(starts)-1])
		got, _ := os.ReadFile(shared.prefs)
		if last == nil || !strings.Contains(string(got), `FriendlyName="`+last.value+`"`) || strings.Contains(string(got), "PlexOnline") {
			t.Errorf("the shared store does not hold the last apply's value:\n%s", got)
		}
	}
	if list, err := (&state.Dir{Path: shared.backups}).List(); err != nil || len(list) != len(applied) {
		t.Errorf("%d backups of the shared plan (%v), want one per apply that ran: %d", len(list), err, len(applied))
	}
	waited := 0
	for _, r := range applied {
		if r.waits {
			waited++
		}
	}
	t.Logf("shared plan: %d applies ran one after another (%d of them waited for the lock), %d were refused naming the holder",
		len(applied), waited, n-len(applied))

	// Memory and descriptors, per run that stopped a server (a refused one stops at the
	// lock, before it reads a store).
	var rss, fds []int64
	for _, h := range append(own, shared) {
		for _, s := range lines(t, h.fds) {
			fds = append(fds, number(t, s))
		}
		for _, s := range lines(t, h.hwm) {
			rss = append(rss, number(t, s))
		}
	}
	slices.Sort(rss)
	slices.Sort(fds)
	if ran := n + len(applied); len(fds) != ran || len(rss) != 2*ran {
		t.Fatalf("%d descriptor counts and %d memory figures, want %d and %d: one each per stop, and per start", len(fds), len(rss), ran, 2*ran)
	}
	t.Logf("peak RSS (VmHWM) per process up to the start: min %d KiB, median %d KiB, max %d KiB (bound %d KiB)", rss[0], rss[len(rss)/2], rss[len(rss)-1], int64(maxRSSKiB))
	{
		t.Logf("open descriptors with the server stopped: min %d, median %d, max %d (bound %d)", fds[0], fds[len(fds)/2], fds[len(fds)-1], maxFDs)
		if fds[len(fds)-1] > maxFDs {
			t.Errorf("a run had %d descriptors open, more than %d", fds[len(fds)-1], maxFDs)
		}
	}
	if rss[len(rss)-1] > maxRSSKiB {
		t.Errorf("a run's peak RSS was %d KiB, more than %d KiB", rss[len(rss)-1], int64(maxRSSKiB))
	}
}

func number(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("a figure a service command wrote, %q: %v", s, err)
	}
	return v
}

func runOf(runs []*loadRun, pid string) *loadRun {
	for _, r := range runs {
		if strconv.Itoa(r.pid()) == pid {
			return r
		}
	}
	return nil
}

// TestSignalStormDuringManyApplies: 30 applies of their own plans at once, each hit by
// a storm of SIGINT, SIGTERM and SIGHUP (five, 3 ms apart) at its own moment, from its
// first milliseconds to after its end (its server stays down 0.2 s). Whatever the moment, each ends in one of the
// states it may: applied (exit 0, the store exactly as the plan makes it), rolled back
// (exit 1, the store byte for byte as before, saying so), or, hit before it set up its
// handlers, killed before it changed anything. Never half: the server runs, no journal
// is left for recover, no staged file beside the store.
func TestSignalStormDuringManyApplies(t *testing.T) {
	const n = 30
	bin := buildPlexform(t)
	want := expectedAfterReset(t)
	var hosts []*loadHost
	var runs []*loadRun
	for range n {
		hosts = append(hosts, newLoadHostPausing(t, "", "sleep 0.2"))
	}
	for i := range n {
		runs = append(runs, startLoadRun(t, bin, hosts[i], "", 0))
	}
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Add(2)
		go func() { defer wg.Done(); r.wait() }()
		go func() {
			defer wg.Done()
			// Spread over the run: from its first milliseconds to after its end.
			time.Sleep(time.Duration(i*800/n) * time.Millisecond)
			for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM} {
				_ = r.cmd.Process.Signal(sig) // fails once it has exited: the storm came late
				time.Sleep(3 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	outcomes := map[string]int{}
	for i, r := range runs {
		h := hosts[i]
		got, _ := os.ReadFile(h.prefs)
		status := r.cmd.ProcessState.Sys().(syscall.WaitStatus)
		switch {
		case r.code == 0:
			outcomes["applied"]++
			if string(got) != want {
				t.Errorf("run %d exited 0, but the store is:\n%s", i, got)
			}
		case r.code == 1:
			out := strings.TrimSpace(r.stderr.String())
			if strings.HasSuffix(out, "\nNothing was changed.") {
				outcomes["stopped before any change"]++
			} else {
				outcomes["rolled back"]++
			}
			if string(got) != loadPrefs {
				t.Errorf("run %d exited 1, but the store is not as before:\n%s", i, got)
			}
			if !strings.Contains(out, "interrupted by") || !(strings.HasSuffix(out, "\nThe apply was rolled back: the host is as it was before.") ||
				strings.HasSuffix(out, "\nNothing was changed.")) {
				t.Errorf("run %d exited 1 without saying it was interrupted and the host is as it was:\n%s", i, out)
			}
		case status.Signaled():
			outcomes["killed before its handlers"]++
			if string(got) != loadPrefs && string(got) != want {
				t.Errorf("run %d was killed by %s and left the store half changed:\n%s", i, status.Signal(), got)
			}
		default:
			t.Errorf("run %d: exit %d\n%s%s", i, r.code, r.stdout.String(), r.stderr.String())
		}
		if _, err := os.Stat(h.up); err != nil {
			t.Errorf("run %d (exit %d) left the server stopped:\n%s", i, r.code, r.stderr.String())
		}
		if _, err := os.Lstat(filepath.Join(h.backups, "journal.json")); err == nil {
			t.Errorf("run %d (exit %d) left a journal for recover", i, r.code)
		}
		if staged, _ := filepath.Glob(filepath.Join(h.dir, ".Preferences.xml.plexform-*")); len(staged) != 0 {
			t.Errorf("run %d (exit %d) left staged files: %v", i, r.code, staged)
		}
		if o := lines(t, h.overlaps); len(o) != 0 {
			t.Errorf("run %d: stopped twice at once", i)
		}
	}
	t.Logf("outcomes of %d applies under a signal storm: %v", n, outcomes)
	if outcomes["rolled back"] == 0 {
		t.Error("no apply was rolled back after a change: the storms missed the downtime, and the test proved little")
	}
}
