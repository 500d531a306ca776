//go:build linux

package executor_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
)

// The random-fault soak: apply and recover killed at random moments, with a real fault
// beside each kill, round after round, checking after each round what a person relies
// on. The named steps of TestKillAtEveryStepThenRecover never hit a kill while a service
// command is half done or a temp file half written; this does.
//
//	PLEXFORM_SOAK_ROUNDS=1000  rounds (default 200; a third each under exec, exec-fg
//	                           and s6)
//	PLEXFORM_SOAK_SEED=N       replay the rounds of a logged seed=N
//	PLEXFORM_SOAK_BIN=PATH     run this plexform (built with -tags plexformtest)
//	                           instead of building one: to show that the soak fails
//	                           against a build with a defect put back
//
// Every fault is real: SIGKILL of the plexform process; ENOSPC from a 64 KiB tmpfs
// holding both stores, filled to leave 0 to 2 free pages, so the staging, the server's
// own save on shutdown or a rollback's write runs out at a random point; ENOSPC from the
// tmpfs holding the backups dir, filled to leave 0 to 8 pages, so the journal's writes
// run out; an exec stop or start command that fails or hangs past the service's
// timeout:; a status command that lies once. The exec service's stop and start do their
// work later in a child of the script, as init scripts do: a few milliseconds later
// mostly, up to 300 ms in about a quarter of the rounds (in half of those 300 to 800 ms,
// with the kill early in the stop's wait), so a kill lands while a command of the run is
// still in flight and its orphan acts after recover began, or after recover's own start. The exec host
// starts the server with setsid (a daemon that detaches); the exec-fg host with `cmd &`,
// so the server stays in the start command's process group, and its stop's worker
// detaches with setsid instead.

// soakServiceTimeout is the faulty plan's timeout: for its service: what a hanging
// command costs a round. The calm plan, which must converge, waits as long as a real one.
const soakServiceTimeout = time.Second

// soakKillWindow is the range of the random delay before a SIGKILL.
const soakKillWindow = 60 * time.Millisecond

type soakFault string

const (
	faultNone          soakFault = "kill only"
	faultENOSPC        soakFault = "ENOSPC"
	faultBackupsENOSPC soakFault = "ENOSPC backups"
	faultStopFails     soakFault = "stop fails"
	faultStopHangs     soakFault = "stop hangs"
	faultStartFails    soakFault = "start fails"
	faultStartHangs    soakFault = "start hangs"
	faultStatusLies    soakFault = "status lies"
)

// soakOutcome is how a round's apply ended.
type soakOutcome string

const (
	outcomeFinished   soakOutcome = "finished"
	outcomeRolledBack soakOutcome = "rolled back"
	outcomeRecovered  soakOutcome = "recovered"
	outcomeNoJournal  soakOutcome = "killed, no journal"
	// outcomeLeft is an apply that failed and could not roll back all the way (a full
	// disk refused the restore): it says so, keeps its journal, and recover ends it.
	outcomeLeft soakOutcome = "rollback cut, recovered"
)

// soakRound is every choice of one round, all drawn from the seed before it starts, so
// a seed replays the same faults and kill delays (where a kill lands within the run
// still depends on the machine's speed).
type soakRound struct {
	fault soakFault
	// killAfter is when the apply gets SIGKILL; negative: never.
	killAfter time.Duration
	// freePages is what an ENOSPC fault leaves free on the stores' or the backups' tmpfs.
	freePages int
	// childDelay is how long the exec scripts' child waits before it does the work
	// ("": a few milliseconds).
	childDelay string
	// killInStop counts killAfter from the moment the stop command began, not from the
	// apply's start: the kill lands while the stop's slow child waits.
	killInStop bool
	// lieAfter is when the status fault is armed: which status call lies is up to the
	// moment (the one at plan time, or one of the polls while the service moves).
	lieAfter time.Duration
	// recoverKills says, per recover attempt, when it gets SIGKILL (negative: never):
	// about every third recover is killed at a random moment.
	recoverKills [soakRecoverAttempts]time.Duration
}

const soakRecoverAttempts = 10

func (h *soakHost) drawRound(rng *rand.Rand) soakRound {
	faults := []soakFault{faultNone, faultNone, faultNone}
	if h.tmpfs {
		faults = append(faults, faultENOSPC, faultBackupsENOSPC, faultBackupsENOSPC)
	}
	if h.ctl != "" {
		faults = append(faults, faultStopFails, faultStartFails, faultStatusLies, faultStatusLies)
		// A hang costs the round the service's timeout: rarer than the rest.
		if rng.IntN(3) == 0 {
			faults = append(faults, faultStopHangs, faultStartHangs)
		}
	}
	r := soakRound{
		fault:     faults[rng.IntN(len(faults))],
		killAfter: randDelay(rng),
		freePages: rng.IntN(3),
		lieAfter:  randDelay(rng),
	}
	if r.fault == faultBackupsENOSPC {
		r.freePages = rng.IntN(9)
	}
	if h.ctl != "" && rng.IntN(4) == 0 {
		// A slow child: the kill lands anywhere in its wait, so that what a killed stop
		// or start left acts well after recover began.
		d := 50 + rng.IntN(251)
		r.childDelay = fmt.Sprintf("%d.%03d", d/1000, d%1000)
		r.killAfter += time.Duration(rng.IntN(d)) * time.Millisecond
		if rng.IntN(2) == 0 && r.killAfter >= 0 {
			// A stop whose child outlasts recover's own stop and start (300 to 800 ms),
			// killed early in its wait: what recover must wait for before it starts the
			// server, or the orphan stops the server recover started.
			d = 300 + rng.IntN(501)
			r.childDelay = fmt.Sprintf("%d.%03d", d/1000, d%1000)
			r.killInStop = true
			r.killAfter = time.Duration(rng.IntN(50)) * time.Millisecond
		}
	}
	if r.fault == faultStopHangs || r.fault == faultStartHangs {
		// Half the time the kill lands while the hanging command is in flight; half
		// the time there is none and the timeout ends the command, then a rollback runs.
		r.killAfter += time.Duration(rng.IntN(2)) * 100 * time.Millisecond
		if rng.IntN(2) == 0 {
			r.killAfter = -1
		}
	}
	for i := range r.recoverKills {
		r.recoverKills[i] = -1
		if i == 0 && rng.IntN(3) == 0 || i > 0 && rng.IntN(4) == 0 {
			r.recoverKills[i] = randDelay(rng)
		}
	}
	return r
}

func randDelay(rng *rand.Rand) time.Duration { return time.Duration(rng.Int64N(int64(soakKillWindow))) }

// soakHost is one simulated Plex host under one manager, with two stores in one dir.
type soakHost struct {
	manager       string // exec, exec-fg (see writeExecScripts), s6
	sim           *simHost
	svc           stores.Service
	ctl           string // exec: the scripts' dir, where the fault files go
	other         string
	tmpfs         bool
	backupsFS     string // the tmpfs the backups dir is on, "" without root
	s6dir         string
	before, reset [2]string
	faultPlan     string
	calmPlan      string
}

func TestRandomFaultSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak runs hundreds of applies; not in -short")
	}
	rounds := 200
	if v := os.Getenv("PLEXFORM_SOAK_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PLEXFORM_SOAK_ROUNDS=%q is not a positive number", v)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("PLEXFORM_SOAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("PLEXFORM_SOAK_SEED=%q is not a number", v)
		}
		seed = n
	}
	t.Logf("seed=%d rounds=%d (replay: PLEXFORM_SOAK_SEED=%d PLEXFORM_SOAK_ROUNDS=%d)", seed, rounds, seed, rounds)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	bin := os.Getenv("PLEXFORM_SOAK_BIN")
	if bin == "" {
		bin = pausingPlexform(t)
	} else {
		t.Logf("running %s, not a fresh build", bin)
	}
	simBin := plexsimtest.Build(t)
	hosts := []*soakHost{newSoakHost(t, "exec", simBin, bin), newSoakHost(t, "exec-fg", simBin, bin), newSoakHost(t, "s6", simBin, bin)}

	tally := map[string]int{}
	recoverKills, slowRounds := 0, 0
	start := time.Now()
	for round := 1; round <= rounds; round++ {
		h := hosts[round%len(hosts)]
		r := h.drawRound(rng)
		outcome, killed := h.round(t, bin, r)
		recoverKills += killed
		if t.Failed() {
			t.Fatalf("round %d (%s, %s, child delay %q) broke an invariant; replay with PLEXFORM_SOAK_SEED=%d PLEXFORM_SOAK_ROUNDS=%d", round, h.manager, r.fault, r.childDelay, seed, round)
		}
		tally[h.manager+"\t"+string(r.fault)+"\t"+string(outcome)]++
		if r.childDelay != "" {
			slowRounds++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d rounds in %s, seed=%d, %d recovers killed, %d rounds with a slow child\n", rounds, time.Since(start).Round(time.Second), seed, recoverKills, slowRounds)
	fmt.Fprintf(&b, "%-10s %-14s %-24s %s\n", "manager", "fault", "outcome", "rounds")
	keys := make([]string, 0, len(tally))
	for k := range tally {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f := strings.Split(k, "\t")
		fmt.Fprintf(&b, "%-10s %-14s %-24s %d\n", f[0], f[1], f[2], tally[k])
	}
	t.Log("\n" + b.String())
}

// newSoakHost sets up a host, lets the server write its settings in its own form once
// (so its rewrite on shutdown leaves the same bytes), and records the two stores before
// and after the reset.
func newSoakHost(t *testing.T, manager, simBin, bin string) *soakHost {
	h := &soakHost{manager: manager, sim: newSimHostWith(t, simBin)}
	storeDir := filepath.Join(h.sim.dir, "stores")
	if os.Geteuid() == 0 {
		storeDir = testtool.Tmpfs(t, "64k")
		h.tmpfs = true
		// The backups get a file system of their own, to fill up apart from the stores.
		h.backupsFS = testtool.Tmpfs(t, "1m")
		h.sim.backups = filepath.Join(h.backupsFS, "backups")
	} else {
		t.Logf("%s: ENOSPC faults off: mounting a tmpfs needs root", manager)
		if err := os.MkdirAll(storeDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.sim.prefs = filepath.Join(storeDir, "Preferences.xml")
	h.sim.writePrefs(t, signedIn)
	h.other = filepath.Join(storeDir, "Other.xml")
	if err := os.WriteFile(h.other, []byte(`<Preferences PlexOnlineToken="tok-other-77Qx" Kept="yes"/>`+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	args := []string{simBin, "-prefs", h.sim.prefs, "-listen", h.sim.listen, "-addr-file", h.sim.addrFile,
		"-log", filepath.Join(h.sim.dir, "plexsim.log")}
	var svcYAML string
	switch manager {
	case "exec", "exec-fg":
		if _, err := exec.LookPath("perl"); err != nil {
			testtool.Unavailable(t, "the soak's exec stop scripts need perl")
		}
		h.ctl = filepath.Join(h.sim.dir, "ctl")
		start, stop, status := writeExecScripts(t, h.ctl, args, manager == "exec")
		svc, err := service.NewExec([]string{start}, []string{stop}, []string{status}, service.OSRunner{})
		if err != nil {
			t.Fatal(err)
		}
		h.svc = svc
		svcYAML = fmt.Sprintf("manager: exec, start: [%q], stop: [%q], status: [%q]", start, stop, status)
		// Not t.Context(): it is cancelled before cleanups run, and a Stop under it did
		// nothing, so every soak left its exec servers running after the test.
		ctl, addrFile := h.ctl, h.sim.addrFile
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = svc.Stop(ctx)
			if data, err := os.ReadFile(filepath.Join(ctl, "pid")); err == nil {
				// A stop that failed: the server must not outlive the test. The pid may be
				// another process's by now, so only this test's simulator is killed.
				pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
				cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				if err == nil && pid > 1 && bytes.Contains(cmdline, []byte(addrFile)) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		})
	case "s6":
		svcDir := filepath.Join(h.sim.dir, "svc-plex")
		h.s6dir = svcDir
		plexsimtest.Supervise(t, svcDir, args)
		h.svc = service.NewS6(svcDir, service.OSRunner{})
		plexsimtest.WaitAddr(t, h.sim.addrFile) // the supervisor starts it by itself
		svcYAML = fmt.Sprintf("manager: s6, dir: %q", svcDir)
	}
	plan := func(timeout time.Duration) string {
		return h.sim.writePlanAs(t, fmt.Sprintf("plan-%s.yaml", timeout), fmt.Sprintf(`version: 1
backups: {dir: %q}
resources:
  - {name: prefs, kind: xml_attributes, path: %q, absent: [%s], service: plex}
  - {name: other, kind: xml_attributes, path: %q, absent: [PlexOnlineToken], service: plex}
  - {name: plex, kind: service, %s, state: running, timeout: %s}
verify:
  - http: {url: "http://%s/identity", status: 200, timeout: %s}
`, h.sim.backups, h.sim.prefs, strings.Join(plan.SignInValues, ", "), h.other, svcYAML, timeout, h.sim.listen, timeout))
	}
	h.faultPlan, h.calmPlan = plan(soakServiceTimeout), plan(waitLimit)

	h.restart(t, nil)
	h.restart(t, nil) // the server's own form, from its save on the first stop
	h.before = h.read(t)
	if out, err := exec.Command(bin, "apply", "-auto-approve", "-f", h.calmPlan).CombinedOutput(); err != nil {
		t.Fatalf("%s: the first apply: %v\n%s", manager, err, out)
	}
	h.reset = h.read(t)
	if h.reset[0] == h.before[0] || h.reset[1] == h.before[1] {
		t.Fatalf("%s: the reset changed nothing", manager)
	}
	h.restart(t, h.before[:])
	return h
}

// writeExecScripts writes the exec service's commands. start and stop hand their work
// to a child that does it a few milliseconds later (or after the seconds in dir/delay)
// and wait for it, as init scripts do; the stop's child reads the pid file when it acts,
// so one orphaned by a kill stops whatever server runs by then. That child is one
// process (perl, which sleeps and signals without a child of its own): detached with
// setsid, nothing of the stop is left in a group it does not lead. With detachServer the server is started in a
// session of its own (setsid) as a daemon detaches; without, it stays in the start
// command's process group (`cmd &`, as many a hand-written exec start does), and the
// stop's worker is the one that detaches (setsid). A fault file in dir makes the next
// start or stop fail or hang, or the next status say the opposite of the truth.
func writeExecScripts(t *testing.T, dir string, simArgs []string, detachServer bool) (start, stop, status string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	q := shellquote.Join([]string{dir})
	alive := `alive() { [ -r "/proc/$1/stat" ] && read -r _ _ st _ <"/proc/$1/stat" && [ "$st" != Z ]; }` + "\n" +
		fmt.Sprintf(`d=$(cat %[1]s/delay 2>/dev/null) || d=0.00$(( $$ %% 5 + 2 ))`, q) + "\n"
	detachSim, detachStop := "setsid ", ""
	if !detachServer {
		detachSim, detachStop = "", "setsid "
	}
	fault := func(action string) string {
		return fmt.Sprintf(`if [ -e %[1]s/%[2]s-fails ]; then rm -f %[1]s/%[2]s-fails; echo "%[2]s refused (injected fault)" >&2; exit 1; fi
if [ -e %[1]s/%[2]s-hangs ]; then rm -f %[1]s/%[2]s-hangs; sleep 30; fi
`, q, action)
	}
	scripts := map[string]string{
		"start": alive + fault("start") + fmt.Sprintf(`if pid=$(cat %[1]s/pid 2>/dev/null) && alive "$pid"; then exit 0; fi
( sleep "$d"; %[3]s%[2]s </dev/null >/dev/null 2>&1 & echo $! >%[1]s/pid.new; mv %[1]s/pid.new %[1]s/pid ) &
wait
`, q, shellquote.Join(simArgs), detachSim),
		"stop": alive + fault("stop") + fmt.Sprintf(`: >%[1]s/stop-began
[ -e %[1]s/pid ] || exit 0
%[2]sperl -e 'select(undef, undef, undef, $ARGV[0]); open(my $f, "<", "$ARGV[1]/pid") or exit; my $pid = <$f>; kill("TERM", $pid + 0)' "$d" %[1]s &
wait
`, q, detachStop),
		"status": alive + fmt.Sprintf(`up=1
if pid=$(cat %[1]s/pid 2>/dev/null) && alive "$pid"; then up=0; fi
if [ -e %[1]s/status-lies ]; then rm -f %[1]s/status-lies; up=$(( 1 - up )); fi
exit $up
`, q),
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "start"), filepath.Join(dir, "stop"), filepath.Join(dir, "status")
}

// round runs one apply with fault and a kill at a random moment, clears the fault,
// recovers (killing every third recover at a random moment too), checks the host, and
// then checks that the next apply converges and puts the host back for the next round.
func (h *soakHost) round(t *testing.T, bin string, r soakRound) (outcome soakOutcome, recoverKills int) {
	t.Helper()
	fault, killAfter := r.fault, r.killAfter
	if r.childDelay != "" {
		delay := filepath.Join(h.ctl, "delay")
		if err := os.WriteFile(delay, []byte(r.childDelay), 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(delay)
	}
	clear := h.inject(t, r)
	trigger := ""
	if r.killInStop {
		trigger = filepath.Join(h.ctl, "stop-began")
		_ = os.Remove(trigger)
	}
	res := runKilledAfter(t, bin, killAfter, trigger, "apply", "-auto-approve", "-f", h.faultPlan)
	clear()
	// Only the run's commands are slow: what a kill orphaned acts after recover's own
	// (fast) stop and start, on the server recover started, unless recover waits for it.
	_ = os.Remove(filepath.Join(h.ctl, "delay"))
	// What the round did, shown only when it breaks an invariant.
	transcript := []string{fmt.Sprintf("apply (kill after %s): killed=%v exit=%d\n%s", killAfter, res.killed, res.exitCode, res.out)}
	defer func() {
		if t.Failed() {
			t.Log(strings.Join(transcript, "\n---\n"))
		}
	}()

	journal := filepath.Join(h.sim.backups, "journal.json")
	_, statErr := os.Stat(journal)
	hadJournal := statErr == nil
	switch {
	case res.exitCode == 0:
		outcome = outcomeFinished
	case !res.killed && !hadJournal:
		outcome = outcomeRolledBack
	case !res.killed:
		outcome = outcomeLeft
	case hadJournal:
		outcome = outcomeRecovered
	default:
		outcome = outcomeNoJournal
	}

	// recover until it says it is done; about every third is killed at a random moment,
	// and a killed recover must leave its journal until its last step is done.
	for attempt := 0; ; attempt++ {
		if attempt == soakRecoverAttempts {
			t.Errorf("recover did not finish in %d attempts", soakRecoverAttempts)
			return outcome, recoverKills // the caller names the round
		}
		delay := r.recoverKills[attempt]
		if _, err := os.Stat(journal); err != nil {
			delay = -1 // nothing to recover: nothing to kill half way either
		}
		rr := runKilled(t, bin, delay, "recover", "-auto-approve", "-f", h.faultPlan)
		transcript = append(transcript, fmt.Sprintf("recover (kill after %s): killed=%v exit=%d\n%s", delay, rr.killed, rr.exitCode, rr.out))
		if rr.killed {
			recoverKills++
			if _, err := os.Stat(journal); err != nil && !h.settled(t) {
				t.Errorf("a killed recover removed the journal before the host was back (%v)", err)
			}
			continue
		}
		if rr.exitCode != 0 {
			continue // a recover that failed keeps its journal and is run again
		}
		if _, err := os.Stat(journal); err == nil {
			t.Errorf("recover said it was done and left the journal")
		}
		break
	}
	h.check(t, "after recover")
	if res.killed || hadJournal {
		// What the killed run left may act late (a slow child of a stop): the server
		// must still run a moment later, and be the same process, not one restarted
		// behind recover's back.
		pid := h.serverPID(t)
		time.Sleep(500 * time.Millisecond)
		if !h.running() {
			t.Errorf("0.5 s after recover: the server is not running (something the killed run left stopped it)")
		} else if now := h.serverPID(t); now != pid {
			t.Errorf("0.5 s after recover: the server is another process (pid %d, right after recover %d)", now, pid)
		}
	}
	// The next run tidies whatever is left and must converge to the reset.
	if out, err := exec.Command(bin, "apply", "-auto-approve", "-f", h.calmPlan).CombinedOutput(); err != nil {
		t.Errorf("the next apply after %s (%s) did not converge: %v\n%s", fault, outcome, err, out)
	}
	if got := h.read(t); got != h.reset {
		t.Errorf("after the next apply the stores are not the reset result")
	}
	h.noTemps(t, "after the next apply")
	h.restart(t, h.before[:])
	h.noHardKill(t)
	return outcome, recoverKills
}

// serverPID is the running server's pid: the exec scripts' pid file, or s6-svstat's.
func (h *soakHost) serverPID(t *testing.T) int {
	t.Helper()
	var text []byte
	var err error
	if h.ctl != "" {
		text, err = os.ReadFile(filepath.Join(h.ctl, "pid"))
	} else {
		text, err = exec.Command("s6-svstat", "-p", h.s6dir).Output()
	}
	if err != nil {
		t.Errorf("the server's pid: %v", err)
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(text)))
	return pid
}

// noHardKill checks in the simulator's log that every server that ended shut down (or
// failed to start): one killed with SIGKILL, as recover once killed a server a start
// left in its group, never got to save its settings, as Plex would not. After the
// round's restart exactly one server runs.
func (h *soakHost) noHardKill(t *testing.T) {
	t.Helper()
	log := mustRead(t, filepath.Join(h.sim.dir, "plexsim.log"))
	started := strings.Count(log, "- plexsim simulator -")
	ended := strings.Count(log, "- shut down") + strings.Count(log, "- failed to start")
	if started-ended != 1 {
		t.Errorf("the simulator's log shows %d servers started and %d ended with one running: %d ended without shutting down (killed)", started, ended, started-ended-1)
	}
}

// settled reports whether the host is as before the run: both stores as they were, the
// server running, no temp file of ours. Only then may the journal be gone.
func (h *soakHost) settled(t *testing.T) bool {
	got := h.read(t)
	return got == h.before && h.running() && len(h.temps(t)) == 0
}

// running tells whether the server runs, once its manager has settled: s6 says "down,
// want up" a moment while it restarts a server that exited (one whose save on
// shutdown met a full disk exits 1, and s6 starts it again).
func (h *soakHost) running() bool {
	return service.WaitFor(context.Background(), h.svc, true, 5*time.Second, nil) == nil
}

// check holds the soak's invariants after a round's recover: both stores byte for byte
// as before or as the reset left them (never one and the other, never torn), the server
// running, no temp file of plexform's beside either store.
func (h *soakHost) check(t *testing.T, when string) {
	t.Helper()
	got := h.read(t)
	if got != h.before && got != h.reset {
		t.Errorf("%s: the stores are neither both as before nor both reset (Preferences.xml before=%v reset=%v; Other.xml before=%v reset=%v)",
			when, got[0] == h.before[0], got[0] == h.reset[0], got[1] == h.before[1], got[1] == h.reset[1])
	}
	if !h.running() {
		t.Errorf("%s: the server is not running (it was before the apply)", when)
	}
	h.noTemps(t, when)
}

func (h *soakHost) noTemps(t *testing.T, when string) {
	t.Helper()
	if left := h.temps(t); len(left) > 0 {
		t.Errorf("%s: temp files left beside the stores: %v", when, left)
	}
}

// temps lists the files named like plexform's temp files beside either store.
func (h *soakHost) temps(t *testing.T) []string {
	entries, err := os.ReadDir(filepath.Dir(h.sim.prefs))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".Preferences.xml.plexform-") || strings.HasPrefix(e.Name(), ".Other.xml.plexform-") {
			left = append(left, e.Name())
		}
	}
	return left
}

func (h *soakHost) read(t *testing.T) [2]string {
	return [2]string{mustRead(t, h.sim.prefs), mustRead(t, h.other)}
}

// restart stops the server, writes the stores (when content is given) while it is
// down, and starts it again, waiting until it serves.
func (h *soakHost) restart(t *testing.T, content []string) {
	t.Helper()
	moveService(t, h.svc, false)
	for i, p := range []string{h.sim.prefs, h.other} {
		if content != nil {
			if err := os.WriteFile(p, []byte(content[i]), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Remove(h.sim.addrFile); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	moveService(t, h.svc, true)
	plexsimtest.WaitAddr(t, h.sim.addrFile)
}

// inject sets up fault for the next apply and returns what takes it away again.
func (h *soakHost) inject(t *testing.T, r soakRound) (clear func()) {
	t.Helper()
	switch fault := r.fault; fault {
	case faultENOSPC, faultBackupsENOSPC:
		dir := filepath.Dir(h.sim.prefs)
		if fault == faultBackupsENOSPC {
			dir = h.backupsFS
		}
		filler := testtool.FillLeaving(t, dir, r.freePages)
		return func() {
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
		}
	case faultStopFails, faultStopHangs, faultStartFails, faultStartHangs, faultStatusLies:
		name := map[soakFault]string{faultStopFails: "stop-fails", faultStopHangs: "stop-hangs", faultStartFails: "start-fails",
			faultStartHangs: "start-hangs", faultStatusLies: "status-lies"}[fault]
		if fault == faultStatusLies {
			armed := time.AfterFunc(r.lieAfter, func() { _ = os.WriteFile(filepath.Join(h.ctl, name), nil, 0o600) })
			return func() {
				if !armed.Stop() {
					time.Sleep(10 * time.Millisecond) // let a write under way end
				}
				_ = os.Remove(filepath.Join(h.ctl, name))
			}
		} else if err := os.WriteFile(filepath.Join(h.ctl, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return func() { _ = os.Remove(filepath.Join(h.ctl, name)) }
	}
	return func() {}
}

type killedRun struct {
	killed   bool
	exitCode int
	out      string
}

// runKilled runs plexform with args and sends it SIGKILL after delay (never when delay
// is negative), unless it ended first.
func runKilled(t *testing.T, bin string, delay time.Duration, args ...string) killedRun {
	t.Helper()
	return runKilledAfter(t, bin, delay, "", args...)
}

// runKilledAfter is runKilled with delay counted from the moment the file trigger
// appears, when one is named (never, should it not appear before plexform ends).
func runKilledAfter(t *testing.T, bin string, delay time.Duration, trigger string, args ...string) killedRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	switch {
	case delay >= 0 && trigger != "":
		done := make(chan struct{})
		defer close(done)
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(time.Millisecond):
				}
				if _, err := os.Stat(trigger); err == nil {
					time.Sleep(delay)
					_ = cmd.Process.Signal(syscall.SIGKILL)
					return
				}
			}
		}()
	case delay >= 0:
		timer := time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	res := killedRun{out: out.String()}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		res.killed = true
		res.exitCode = -1
		return res
	}
	if err != nil {
		res.exitCode = cmd.ProcessState.ExitCode()
	}
	return res
}
