//go:build unix

package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// startGroup makes cmd the leader of a process group of its own, so that the command
// and every child it starts can be waited for and killed together: when the context
// ends (a command past the service's timeout) the whole group is killed, not only the
// first process, whose children would otherwise go on stopping or starting the server
// after plexform gave up. On Linux the command also gets SIGKILL when plexform dies
// (groupAttr), and the caller holds its OS thread while the command runs, for that
// signal follows the thread that started it.
// isStop tells whether p is a stop, whose every marked process is a leftover.
func (p Process) isStop() bool { return p.Action == "stop" || p.Action == "force-stop" }

// leftoverPoll is how often EndLeftover looks whether the command is done.
const leftoverPoll = 10 * time.Millisecond

func startGroup(cmd *exec.Cmd) processGroup {
	cmd.SysProcAttr = groupAttr()
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone // it ended just as its time was up: Wait tells how
		}
		return err
	}
	return unixGroup{}
}

type unixGroup struct{}

func (unixGroup) started(*exec.Cmd) {}
func (unixGroup) done()             {}

// processOf completes p with cmd, just started, for a Tracker.
func processOf(cmd *exec.Cmd, p Process) Process {
	p.PID, p.PGID = cmd.Process.Pid, cmd.Process.Pid
	p.StartID, _ = startID(p.PID)
	return p
}

// leftoverGroups lists the process groups that hold what is left of p: its own group,
// while its leader is gone or still the very process p started (StartID; a pid used
// again since belongs to another, which it can only once the whole group is gone, for
// a group keeps its leader's pid in use); and, where the system can tell (markedGroups),
// each group a process carrying p's Mark is in without leading it, which finds p's
// children even when p was killed before its pid was written down.
func leftoverGroups(p Process) ([]int, error) {
	var groups []int
	if p.PGID > 0 {
		ours := true
		if p.StartID != 0 {
			if id, ok := startID(p.PID); ok && id != p.StartID {
				ours = false
			}
		}
		if ours {
			err := syscall.Kill(-p.PGID, 0)
			switch {
			case err == nil || errors.Is(err, syscall.EPERM):
				groups = append(groups, p.PGID)
			case !errors.Is(err, syscall.ESRCH):
				return nil, fmt.Errorf("look for process group %d: %w", p.PGID, err)
			}
		}
	}
	for _, g := range markedGroups(p.Mark, p.isStop()) {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	return groups, nil
}

func endLeftover(ctx context.Context, p Process, timeout time.Duration, running func(context.Context) (bool, error)) (Leftover, error) {
	serving := servingCheck(ctx, running)
	alive := func() (bool, error) {
		groups, err := leftoverGroups(p)
		return len(groups) > 0 && !serving(), err
	}
	up, err := alive()
	if err != nil || !up {
		if serving() {
			return LeftoverServing, err
		}
		return LeftoverGone, err
	}
	if p.StartID == 0 && p.Mark == "" && !canIdentify {
		// Without a start time a group of that number may be another's: wait, never kill.
		return LeftoverUnknown, waitGone(ctx, alive, timeout)
	}
	err = waitGone(ctx, alive, timeout)
	switch {
	case serving():
		return LeftoverServing, nil
	case err == nil:
		return LeftoverEnded, nil
	case ctx.Err() != nil:
		return LeftoverGone, err
	}
	groups, err := leftoverGroups(p)
	if err != nil {
		return LeftoverGone, err
	}
	for _, g := range groups {
		if err := syscall.Kill(-g, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return LeftoverGone, fmt.Errorf("kill process group %d: %w", g, err)
		}
	}
	// SIGKILL cannot be caught; the groups are gone as soon as the kernel has reaped them.
	gone := func() (bool, error) {
		groups, err := leftoverGroups(p)
		return len(groups) > 0, err
	}
	if err := waitGone(ctx, gone, 5*time.Second); err != nil {
		return LeftoverKilled, fmt.Errorf("process groups %v still there after SIGKILL: %w", groups, err)
	}
	return LeftoverKilled, nil
}

// servingPoll is how often a start's service is asked whether it runs: its status may
// be a command of its own, too dear to run at every leftoverPoll.
const servingPoll = 100 * time.Millisecond

// servingCheck tells, for a start, whether its service reads running (asked at most
// every servingPoll, and once it did, for good); always false without running.
func servingCheck(ctx context.Context, running func(context.Context) (bool, error)) func() bool {
	var asked time.Time
	var up bool
	return func() bool {
		if running == nil || up || time.Since(asked) < servingPoll {
			return up
		}
		asked = time.Now()
		ok, err := running(ctx)
		up = err == nil && ok
		return up
	}
}

// waitGone polls alive until it says false, for at most timeout.
func waitGone(ctx context.Context, alive func() (bool, error), timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		up, err := alive()
		if err != nil {
			return err
		}
		if !up {
			return nil
		}
		if time.Now().After(deadline) {
			return ErrTimeout
		}
		t := time.NewTimer(leftoverPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
