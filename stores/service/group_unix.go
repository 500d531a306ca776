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
	for _, g := range markedGroups(p.Mark) {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	return groups, nil
}

func endLeftover(ctx context.Context, p Process, timeout time.Duration) (Leftover, error) {
	alive := func() (bool, error) {
		groups, err := leftoverGroups(p)
		return len(groups) > 0, err
	}
	up, err := alive()
	if err != nil || !up {
		return LeftoverGone, err
	}
	if p.StartID == 0 && p.Mark == "" && !canIdentify {
		// Without a start time a group of that number may be another's: wait, never kill.
		return LeftoverUnknown, waitGone(ctx, alive, timeout)
	}
	if err := waitGone(ctx, alive, timeout); err == nil {
		return LeftoverEnded, nil
	} else if ctx.Err() != nil {
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
	if err := waitGone(ctx, alive, 5*time.Second); err != nil {
		return LeftoverKilled, fmt.Errorf("process groups %v still there after SIGKILL: %w", groups, err)
	}
	return LeftoverKilled, nil
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
