package service

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// groupWaitLimit bounds the waits below, only so that a broken test ends.
const groupWaitLimit = 10 * time.Second

// waitPidFile waits until a command under test wrote its pid to path.
func waitPidFile(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(groupWaitLimit)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(data), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil {
				t.Fatalf("pid file %q", data)
			}
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no pid in %s within %s", path, groupWaitLimit)
	return 0
}

// gone tells whether pid has exited (a zombie that no one reaped counts as gone: PID 1
// in a container may not reap).
func gone(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	end := strings.LastIndexByte(string(data), ')')
	return end > 0 && strings.HasPrefix(string(data[end+1:]), " Z")
}

func waitGoneTest(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(groupWaitLimit)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) is still running", what, pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A command past its timeout is killed with every child it started: a stop script's
// child must not go on stopping the server after plexform gave up on it.
func TestRunKillsTheCommandsChildrenWhenItsTimeIsUp(t *testing.T) {
	dir := t.TempDir()
	child := filepath.Join(dir, "child")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := OSRunner{}.Run(ctx, []string{"sh", "-c", `sleep 30 & echo $! >"$1"; wait`, "sh", child})
	if err == nil {
		t.Fatal("a command past its timeout succeeded")
	}
	waitGoneTest(t, waitPidFile(t, child), "the child of a command killed at its timeout")
}

// The command and its group are reported to a Tracker while they run.
func TestRunTellsTheTrackerWhatRuns(t *testing.T) {
	var tr recordingTracker
	if _, err := (OSRunner{}).Run(Track(context.Background(), &tr), []string{"sh", "-c", "exit 0"}); err != nil {
		t.Fatal(err)
	}
	if len(tr.began) != 1 || len(tr.started) != 1 || len(tr.ended) != 1 || tr.started[0] != tr.ended[0] {
		t.Fatalf("began %v, started %v, ended %v; want one command, the same", tr.began, tr.started, tr.ended)
	}
	if b := tr.began[0]; b.PID != 0 || b.Mark == "" || b.Mark != tr.started[0].Mark {
		t.Errorf("before its start: %+v; want its mark and no pid yet", b)
	}
	p := tr.started[0]
	if p.PID <= 0 || p.PGID != p.PID || p.StartID == 0 || p.Started.IsZero() {
		t.Errorf("process %+v: want a pid that leads its own group, with its start", p)
	}
}

// A command whose record could not be written is not run: a command running that the
// journal does not name is one recover cannot wait for.
func TestRunDoesNotRunACommandItCannotRecord(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	tr := recordingTracker{refuse: errors.New("no space left on device")}
	_, err := (OSRunner{}).Run(Track(context.Background(), &tr), []string{"touch", ran})
	if err == nil || !errors.Is(err, tr.refuse) {
		t.Fatalf("Run error = %v, want the tracker's", err)
	}
	if _, statErr := os.Stat(ran); statErr == nil {
		t.Error("the command ran although its record could not be written")
	}
	if len(tr.started) != 0 || len(tr.ended) != 0 {
		t.Errorf("started %v, ended %v of a command that never ran", tr.started, tr.ended)
	}
}

type recordingTracker struct {
	began, started, ended []Process
	refuse                error // Began's answer
}

func (r *recordingTracker) Began(p Process) error {
	r.began = append(r.began, p)
	return r.refuse
}
func (r *recordingTracker) Started(p Process) { r.started = append(r.started, p) }
func (r *recordingTracker) Ended(p Process)   { r.ended = append(r.ended, p) }

// plexformStandIn is the environment variable that makes this test binary act as a
// plexform that runs one service command through OSRunner (see TestMain).
const plexformStandIn = "PLEXFORM_TEST_RUNNER_ARGV"

func TestMain(m *testing.M) {
	if argv := os.Getenv(plexformStandIn); argv != "" {
		_, err := OSRunner{}.Run(context.Background(), strings.Split(argv, "\x1f"))
		if err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// When plexform is killed, the command it was running dies with it (Linux: the
// parent-death signal), so a stop cannot finish after recover started the server.
func TestCommandDiesWithPlexform(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	stand := exec.Command(os.Args[0], "-test.run=^$")
	stand.Env = append(os.Environ(), plexformStandIn+"="+strings.Join([]string{"sh", "-c", `echo $$ >"$1"; sleep 30; echo "stopped late" >"$1.late"`, "sh", pidFile}, "\x1f"))
	if err := stand.Start(); err != nil {
		t.Fatal(err)
	}
	pid := waitPidFile(t, pidFile)
	if err := stand.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = stand.Wait()
	waitGoneTest(t, pid, "the command of a killed plexform")
}

// EndLeftover lets a command of a killed run finish, kills one that runs past the
// timeout with its whole group, and leaves alone a process that only has its pid.
func TestEndLeftover(t *testing.T) {
	start := func(t *testing.T, script string) (Process, string) {
		t.Helper()
		child := filepath.Join(t.TempDir(), "child")
		cmd := exec.Command("sh", "-c", script, "sh", child)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = cmd.Wait() }() // reap it, as the dead plexform no longer can
		return processOf(cmd, Process{Started: time.Now()}), child
	}
	ctx := context.Background()
	t.Run("finishes", func(t *testing.T) {
		p, child := start(t, `sleep 0.2 & echo $! >"$1"; wait`)
		got, err := EndLeftover(ctx, p, groupWaitLimit, nil)
		if err != nil || got != LeftoverEnded {
			t.Fatalf("EndLeftover = %v, %v; want LeftoverEnded", got, err)
		}
		if !gone(waitPidFile(t, child)) {
			t.Error("it said ended while the child runs")
		}
	})
	t.Run("runs past the timeout", func(t *testing.T) {
		p, child := start(t, `sleep 30 & echo $! >"$1"; wait`)
		kid := waitPidFile(t, child)
		got, err := EndLeftover(ctx, p, 100*time.Millisecond, nil)
		if err != nil || got != LeftoverKilled {
			t.Fatalf("EndLeftover = %v, %v; want LeftoverKilled", got, err)
		}
		waitGoneTest(t, kid, "the child of a command killed as a leftover")
	})
	t.Run("pid used again", func(t *testing.T) {
		p, _ := start(t, `sleep 30`)
		defer syscall.Kill(-p.PGID, syscall.SIGKILL)
		other := p
		other.StartID++ // the record of an older process that had the same pid
		got, err := EndLeftover(ctx, other, time.Millisecond, nil)
		if err != nil || got != LeftoverGone {
			t.Fatalf("EndLeftover = %v, %v; want LeftoverGone", got, err)
		}
		if gone(p.PID) {
			t.Error("a process that only has the recorded pid was killed")
		}
	})
	t.Run("known by its mark only", func(t *testing.T) {
		// A start killed before its pid was written down: its children are found by the
		// mark in their environment, and a daemon it detached (setsid) is left running.
		dir := t.TempDir()
		mark := newMark()
		cmd := exec.Command("sh", "-c", `sleep 30 & echo $! >"$1"; setsid sleep 30 & echo $! >"$2"; wait`, "sh",
			filepath.Join(dir, "child"), filepath.Join(dir, "daemon"))
		cmd.Env = append(os.Environ(), MarkVar+"="+mark)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		kid, daemon := waitPidFile(t, filepath.Join(dir, "child")), waitPidFile(t, filepath.Join(dir, "daemon"))
		defer syscall.Kill(daemon, syscall.SIGKILL)
		_ = cmd.Process.Kill() // as the parent-death signal kills the command itself
		_ = cmd.Wait()
		got, err := EndLeftover(ctx, Process{Mark: mark, Started: time.Now(), Action: "start"}, 100*time.Millisecond, nil)
		if err != nil || got != LeftoverKilled {
			t.Fatalf("EndLeftover = %v, %v; want LeftoverKilled", got, err)
		}
		waitGoneTest(t, kid, "the child of a command known by its mark")
		if gone(daemon) {
			t.Error("the daemon the command detached was killed")
		}
	})
	t.Run("a stop's detached worker", func(t *testing.T) {
		// A stop whose worker left the group with setsid: that worker is still the stop
		// (nothing a stop leaves is the server), so it is waited for and then killed.
		dir := t.TempDir()
		mark := newMark()
		cmd := exec.Command("sh", "-c", `setsid sleep 30 & echo $! >"$1"; wait`, "sh", filepath.Join(dir, "worker"))
		cmd.Env = append(os.Environ(), MarkVar+"="+mark)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		worker := waitPidFile(t, filepath.Join(dir, "worker"))
		defer syscall.Kill(worker, syscall.SIGKILL)
		_ = cmd.Process.Kill() // as the parent-death signal kills the command itself
		_ = cmd.Wait()
		got, err := EndLeftover(ctx, Process{Mark: mark, Started: time.Now(), Action: "stop"}, 100*time.Millisecond, nil)
		if err != nil || got != LeftoverKilled {
			t.Fatalf("EndLeftover = %v, %v; want LeftoverKilled", got, err)
		}
		waitGoneTest(t, worker, "the detached worker of a stop")
	})
	t.Run("a start whose server serves", func(t *testing.T) {
		// A start that runs the server in its own group (`cmd &`): once the service
		// reads running, the server is not killed, however long the timeout.
		p, server := start(t, `sleep 30 & echo $! >"$1"; touch "$1.up"; wait`)
		p.Action = "start"
		kid := waitPidFile(t, server)
		defer syscall.Kill(-p.PGID, syscall.SIGKILL)
		running := func(context.Context) (bool, error) { _, err := os.Stat(server + ".up"); return err == nil, nil }
		began := time.Now()
		got, err := EndLeftover(ctx, p, groupWaitLimit, running)
		if err != nil || got != LeftoverServing {
			t.Fatalf("EndLeftover = %v, %v; want LeftoverServing", got, err)
		}
		if time.Since(began) > groupWaitLimit/2 {
			t.Errorf("it waited %s for a start whose service runs", time.Since(began))
		}
		if gone(kid) {
			t.Error("the server a start left in its group was killed")
		}
	})
	t.Run("a start that hangs", func(t *testing.T) {
		// A start that never brings the service up is still killed at the timeout.
		p, child := start(t, `sleep 30 & echo $! >"$1"; wait`)
		p.Action = "start"
		kid := waitPidFile(t, child)
		notRunning := func(context.Context) (bool, error) { return false, nil }
		got, err := EndLeftover(ctx, p, 100*time.Millisecond, notRunning)
		if err != nil || got != LeftoverKilled {
			t.Fatalf("EndLeftover = %v, %v; want LeftoverKilled", got, err)
		}
		waitGoneTest(t, kid, "the child of a start that hung")
	})
	t.Run("nothing left", func(t *testing.T) {
		p, _ := start(t, `exit 0`)
		deadline := time.Now().Add(groupWaitLimit)
		for syscall.Kill(-p.PGID, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got, err := EndLeftover(ctx, p, groupWaitLimit, nil); err != nil || got != LeftoverGone {
			t.Fatalf("EndLeftover = %v, %v; want LeftoverGone", got, err)
		}
	})
}

func TestParseProcStatStart(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"123 (sh) S 1 123 123 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 98765 1000 10", 98765, true},
		// The command name may hold spaces and parentheses; it ends at the last ')'.
		{"123 (a) b (c) S 1 123 123 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 42 1000 10", 42, true},
		{"123 (sh) S 1 2", 0, false},
		{"no parenthesis", 0, false},
		{"123 (sh) S 1 123 123 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 x 1000", 0, false},
	} {
		got, ok := parseProcStatStart([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("parseProcStatStart(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if id, ok := startID(os.Getpid()); !ok || id == 0 {
		t.Errorf("startID of this process = %d, %v", id, ok)
	}
	if _, ok := startID(-1); ok {
		t.Error("startID of no process")
	}
}
