package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

// stopServices stops every service the plan stops, in plan order.
func (r *run) stopServices(ctx context.Context) error {
	for _, svc := range r.steps.Services {
		if !svc.Stops() {
			continue
		}
		// The journal names the service before it is moved, or it is not moved at all:
		// recover puts back only what the journal names.
		if err := r.journal.moving(svc, svc.Change.Running); err != nil {
			return err
		}
		// Only a service this apply moves is put back by a rollback; one it leaves alone
		// (perhaps unreadable, under -root) is never touched.
		r.wasUp[svc.Service] = svc.Change.Running
		r.stopped = append(r.stopped, svc) // before the stop: a stop that fails half way still needs a start
		begun := r.journal.begunCommands()
		if err := r.setState(ctx, svc.Service, false); err != nil {
			if errors.Is(err, errUnrecorded) && r.journal.begunCommands() == begun {
				// No command of the stop ran: the service was not moved.
				r.stopped = r.stopped[:len(r.stopped)-1]
				delete(r.wasUp, svc.Service)
			}
			return err
		}
	}
	return nil
}

// setState moves a service and waits until it is really there, reporting progress. The
// command and the wait are each bounded by the service's timeout.
func (r *run) setState(ctx context.Context, svc *host.Service, up bool) error {
	name, verb, done := svc.Resource.Name, "Stopping", EventStopped
	if up {
		verb, done = "Starting", EventStarted
	}
	r.obs.Event(Event{Type: strings.ToLower(verb), Resource: name, Message: fmt.Sprintf("%s %s (%s)", verb, name, svc.Service.Describe())})
	act, action := svc.Service.Stop, "stop"
	if up {
		act, action = svc.Service.Start, "start"
		if r.startIssued.IsZero() {
			r.startIssued = time.Now()
		}
	}
	// The clock starts before the command: a stop command that waits for the service
	// (systemctl, a script) spends the time the user wants to see.
	start := time.Now()
	if err := bounded(r.journal.track(ctx, svc, action), svc.Timeout(), act); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	tick := func(elapsed time.Duration) { r.obs.Waiting(name, verb, elapsed) }
	err := service.WaitFor(ctx, svc.Service, up, svc.Timeout(), tick)
	// A graceful stop that timed out gets one forced stop, where the manager has one
	// (the macOS and Windows apps), as a careful human would do next.
	if forcer, ok := svc.Service.(forceStopper); ok && !up && errors.Is(err, service.ErrTimeout) {
		r.obs.Event(Event{Type: EventWarning, Resource: name, Message: fmt.Sprintf("%s did not stop within %s; forcing it", name, svc.Timeout())})
		if err = bounded(r.journal.track(ctx, svc, "force-stop"), svc.Timeout(), forcer.ForceStop); err == nil {
			err = service.WaitFor(ctx, svc.Service, false, svc.Timeout(), tick)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	took := time.Since(start)
	r.obs.Event(Event{Type: done, Resource: name, Message: fmt.Sprintf("%s %s after %s", name, done, roundMs(took)), ElapsedMs: took.Milliseconds()})
	return nil
}

// bounded runs one service command with the service's timeout, so a command that hangs
// (a status script, a stuck systemctl) cannot keep Plex down without end.
func bounded(ctx context.Context, timeout time.Duration, act func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := act(ctx)
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("the command did not finish within %s (the service's timeout:): %w", timeout, err)
	}
	return err
}

// forceStopper is a service that can be stopped by force after a graceful stop failed.
type forceStopper interface {
	ForceStop(ctx context.Context) error
}

func roundMs(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// startServices brings the services the diff planned to move to their desired state:
// those this apply stopped (known to be down, so started without asking first) and those
// planned to start. A service the diff leaves alone is not touched.
func (r *run) startServices(ctx context.Context) error {
	for _, svc := range r.steps.Services {
		stoppedHere := slices.Contains(r.stopped, svc)
		switch {
		case stoppedHere && svc.WantRunning():
		case svc.Change.Action == plan.Start:
			if running, err := svc.Running(ctx); err != nil {
				return fmt.Errorf("%s: %w", svc.Resource.Name, err)
			} else if running {
				continue
			}
			if err := r.journal.moving(svc, false); err != nil {
				return err
			}
			r.wasUp[svc.Service] = false
		default:
			continue
		}
		if err := r.setState(ctx, svc.Service, true); err != nil {
			return err
		}
	}
	return nil
}
