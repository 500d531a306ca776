package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

func (r *run) stopServices(ctx context.Context, ch *plan.Changes) error {
	for _, sc := range ch.Services {
		if sc.Action != plan.Restart && sc.Action != plan.Stop {
			continue
		}
		svc := r.h.ServiceByName(sc.Address)
		// Only a service this apply moves is put back by a rollback; one it leaves alone
		// (perhaps unreadable, under -root) is never touched.
		r.wasUp[svc] = sc.Running
		if err := r.setState(ctx, svc, false); err != nil {
			return err
		}
	}
	return nil
}

// setState moves a service and waits until it is really there, reporting progress.
func (r *run) setState(ctx context.Context, svc *host.Service, up bool) error {
	name, verb, done := svc.Resource.Name, "Stopping", EventStopped
	if up {
		verb, done = "Starting", EventStarted
	}
	r.obs.Event(Event{Type: strings.ToLower(verb), Resource: name, Message: fmt.Sprintf("%s %s (%s)", verb, name, svc.Service.Describe())})
	act := svc.Service.Stop
	if up {
		act = svc.Service.Start
	}
	if !up {
		// Recorded before the stop is issued: a stop that fails half way still needs a start.
		r.stopped = append(r.stopped, svc)
	} else if r.startIssued.IsZero() {
		r.startIssued = time.Now()
	}
	// The clock starts before the command: a stop command that waits for the service
	// (systemctl, a script) spends the time the user wants to see.
	start := time.Now()
	if err := act(ctx); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	tick := func(elapsed time.Duration) { r.obs.Waiting(name, verb, elapsed) }
	err := service.WaitFor(ctx, svc.Service, up, svc.Timeout(), tick)
	// A graceful stop that timed out gets one forced stop, where the manager has one
	// (the macOS and Windows apps), as a careful human would do next.
	if forcer, ok := svc.Service.(forceStopper); ok && !up && errors.Is(err, service.ErrTimeout) {
		r.obs.Event(Event{Type: EventWarning, Resource: name, Message: fmt.Sprintf("%s did not stop within %s; forcing it", name, svc.Timeout())})
		if err = forcer.ForceStop(ctx); err == nil {
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

// forceStopper is a service that can be stopped by force after a graceful stop failed.
type forceStopper interface {
	ForceStop(ctx context.Context) error
}

func roundMs(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func (r *run) backUp(ctx context.Context, ch *plan.Changes) error {
	for _, rc := range ch.Resources {
		if !rc.HasChanges() {
			continue
		}
		s := r.h.Store(rc.Address)
		snap, err := s.Store.Snapshot(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", rc.Address, err)
		}
		m, err := r.opts.Backups.Save(rc.Address, rc.Kind, rc.Target, r.opts.PlanFile, r.opts.Version, snap)
		if err != nil {
			return fmt.Errorf("%s: %w", rc.Address, err)
		}
		r.snaps[s] = snap
		r.backups = append(r.backups, m)
		r.obs.Event(Event{Type: EventBackedUp, Resource: rc.Address, Message: fmt.Sprintf("Backed up %s to %s", rc.Target, r.opts.Backups.Path(m)), Backup: m.ID})
	}
	return nil
}

// startServices brings the services the diff planned to move to their desired state:
// those this apply stopped (known to be down, so started without asking first) and those
// planned to start. A service the diff leaves alone is not touched.
func (r *run) startServices(ctx context.Context, ch *plan.Changes) error {
	for _, sc := range ch.Services {
		svc := r.h.ServiceByName(sc.Address)
		stoppedHere := slices.Contains(r.stopped, svc)
		switch {
		case stoppedHere && svc.WantRunning():
		case sc.Action == plan.Start:
			if running, err := svc.Running(ctx); err != nil {
				return fmt.Errorf("%s: %w", svc.Resource.Name, err)
			} else if running {
				continue
			}
			r.wasUp[svc] = false
		default:
			continue
		}
		if err := r.setState(ctx, svc, true); err != nil {
			return err
		}
	}
	return nil
}
