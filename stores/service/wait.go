package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plexform/plexform/stores"
)

// ErrTimeout marks a WaitFor that gave up.
var ErrTimeout = errors.New("timed out")

// Poll intervals: short at first, because a stop is often done within milliseconds,
// then capped so a slow service costs a few polls a second.
const (
	firstPoll = 5 * time.Millisecond
	maxPoll   = 200 * time.Millisecond
)

// WaitFor polls svc until Running reports running, or until timeout or ctx ends.
// Transitional states (ErrTransitioning) keep it polling; any other error from Running
// ends the wait at once, since a missing unit or a broken status command will not mend
// itself. tick, when not nil, is called after each poll that did not reach the state,
// with the time spent so far, for progress output.
func WaitFor(ctx context.Context, svc stores.Service, running bool, timeout time.Duration, tick func(elapsed time.Duration)) error {
	want := stateName(running)
	start := time.Now()
	deadline := start.Add(timeout)
	last := "in an unknown state"
	for delay := firstPoll; ; delay = min(2*delay, maxPoll) {
		got, err := svc.Running(ctx)
		var te *TransitionError
		switch {
		case errors.As(err, &te):
			last = te.State
		case err != nil:
			return fmt.Errorf("wait for %s to be %s: %w", svc.Describe(), want, err)
		case got == running:
			return nil
		default:
			last = stateName(got)
		}
		elapsed := time.Since(start)
		if tick != nil {
			tick(elapsed)
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return fmt.Errorf("%s is still %s after %s, not %s: %w", svc.Describe(), last, timeout, want, ErrTimeout)
		}
		t := time.NewTimer(min(delay, remaining))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for %s to be %s (it was %s): %w", svc.Describe(), want, last, ctx.Err())
		case <-t.C:
		}
	}
}

func stateName(running bool) string {
	if running {
		return "running"
	}
	return "stopped"
}
