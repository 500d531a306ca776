package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores/service"
)

// A service command outlives a run killed while it runs: its children on Linux (the
// command itself gets SIGKILL with plexform, but not what it started), all of it
// elsewhere on Unix, and a systemd job goes on without its systemctl. A stop that
// finishes after recover started the server leaves it stopped. So the journal names
// each service command while it runs, and recover first makes sure none is left.

// track returns ctx with the journal recording, while it runs, each command run under
// it for svc's action ("stop", "start", "force-stop"). A nil journal records nothing.
func (j *journal) track(ctx context.Context, svc *host.Service, action string) context.Context {
	if j == nil {
		return ctx
	}
	return service.Track(ctx, &commandTracker{j: j, svc: svc, action: action})
}

type commandTracker struct {
	j      *journal
	svc    *host.Service
	action string
}

// Began writes the command into the journal before it starts: a kill in the instant
// after the start must not leave a command no one knows of. It is written unsynced: it
// must survive plexform, not a power cut, which ends the command too. A stop that
// cannot be recorded is not run (the error goes back to Run): one orphaned by a kill
// would stop the server after recover started it. A start is run all the same, with a
// warning: refusing it would leave Plex down, and recover, which starts the server
// anyway, is not misled by a start that finishes late.
func (c *commandTracker) Began(p service.Process) error {
	c.j.j.InFlight = append(c.j.j.InFlight, state.JournalCommand{
		Mark: p.Mark, Service: c.svc.Resource.Name, Manager: c.svc.Service.Describe(), Action: c.action, Started: p.Started.UTC(),
	})
	err := c.j.save(c.j.j.Step, false)
	if err == nil {
		c.j.begun++
		return nil
	}
	if c.action == "start" {
		c.j.warn(err)
		return nil
	}
	c.j.j.InFlight = c.j.j.InFlight[:len(c.j.j.InFlight)-1]
	return fmt.Errorf("record the %s command of %s in the journal: %w: %w", c.action, c.svc.Resource.Name, errUnrecorded, err)
}

// errUnrecorded is a service command that was not run because the journal could not
// name it.
var errUnrecorded = errors.New("not run while the journal cannot name it")

// begunCommands counts the commands run under the journal so far: a stop that failed
// with errUnrecorded and ran none moved nothing.
func (j *journal) begunCommands() int {
	if j == nil {
		return 0
	}
	return j.begun
}

// Started adds the pid, written only where recover needs it to find the command
// (service.PIDNeeded): each write of the journal falls on Plex's downtime.
func (c *commandTracker) Started(p service.Process) {
	if i := c.find(p.Mark); i >= 0 {
		cmd := &c.j.j.InFlight[i]
		cmd.PID, cmd.PGID, cmd.StartID = p.PID, p.PGID, p.StartID
		if service.PIDNeeded {
			c.j.warn(c.j.save(c.j.j.Step, false))
		}
	}
}

// Ended takes it out again, at once too: a record left behind would have recover wait
// for what the command left running on purpose (a server it started) in its group.
func (c *commandTracker) Ended(p service.Process) {
	if i := c.find(p.Mark); i >= 0 {
		c.j.j.InFlight = slices.Delete(c.j.j.InFlight, i, i+1)
		c.j.warn(c.j.save(c.j.j.Step, false))
	}
}

func (c *commandTracker) find(mark string) int {
	return slices.IndexFunc(c.j.j.InFlight, func(cmd state.JournalCommand) bool { return cmd.Mark == mark })
}

// endLeftovers makes sure no service command the journal names is still running: each
// gets up to its service's timeout to finish what it was doing, then its process group
// is killed. Then a service whose manager queues jobs (systemd) is waited for until it
// has none pending. Only after that is a service's state worth reading.
func endLeftovers(ctx context.Context, h *host.Host, j *journal, services []*host.Service, obs Observer) error {
	var errs *multierror.Error
	for _, c := range j.j.InFlight {
		timeout := host.DefaultTimeout
		var running func(context.Context) (bool, error)
		if svc := h.ServiceByName(c.Service); svc != nil {
			timeout, running = svc.Timeout(), statusOf(svc)
		}
		what := fmt.Sprintf("the %s command of %s that the cut-short run started", c.Action, c.Service)
		if c.PID > 0 {
			what = fmt.Sprintf("the %s command of %s (pid %d) that the cut-short run started", c.Action, c.Service, c.PID)
		}
		p := service.Process{Mark: c.Mark, PID: c.PID, PGID: c.PGID, Started: c.Started, StartID: c.StartID, Action: c.Action}
		got, err := service.EndLeftover(ctx, p, timeout, running)
		switch {
		case err != nil:
			errs = multierror.Append(errs, fmt.Errorf("make sure %s has ended: %w", what, err))
			continue
		case got == service.LeftoverEnded:
			obs.Event(Event{Type: EventWarning, Resource: c.Service, Message: fmt.Sprintf("Waited for %s: it was still running, and has ended", what)})
		case got == service.LeftoverKilled:
			obs.Event(Event{Type: EventWarning, Resource: c.Service, Message: fmt.Sprintf("Killed %s: it was still running after %s (the service's timeout)", what, timeout)})
		case got == service.LeftoverServing:
			obs.Event(Event{Type: EventWarning, Resource: c.Service, Message: fmt.Sprintf("Left %s alone: %s is running, so it did its work (what it left running may be the server)", what, c.Service)})
		case got == service.LeftoverUnknown:
			obs.Event(Event{Type: EventWarning, Resource: c.Service, Message: fmt.Sprintf("Could not tell whether %s is still running (this system does not say when a process started); waited up to %s", what, timeout)})
		}
	}
	if errs != nil {
		return errs.ErrorOrNil()
	}
	if len(j.j.InFlight) > 0 {
		j.j.InFlight = nil
		j.warn(j.save(j.j.Step, false))
	}
	for _, svc := range services {
		w, ok := svc.Service.(jobWaiter)
		if !ok {
			continue
		}
		if err := w.WaitNoJob(ctx, svc.Timeout()); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: %w", svc.Resource.Name, err))
		}
	}
	return errs.ErrorOrNil()
}

// statusOf reads svc's state for EndLeftover, bounded by its timeout. Unlike
// host.Service.Running, a service on its way up does not count as running: the start
// is not done yet.
func statusOf(svc *host.Service) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		ctx, cancel := context.WithTimeout(ctx, svc.Timeout())
		defer cancel()
		return svc.Service.Running(ctx)
	}
}

// jobWaiter is a service whose manager runs queued jobs (systemd): a stop job goes on
// after the systemctl that asked for it was killed.
type jobWaiter interface {
	WaitNoJob(ctx context.Context, timeout time.Duration) error
}

// commandQueue is a manager that takes a command and acts on it a moment later: s6-svc
// writes to s6-supervise's control FIFO and returns. A stop the killed run sent may
// still wait there when recover reads "up", so recover sends the state it wants even
// when it reads it already: the command queues behind that stop, and costs nothing
// otherwise (s6-svc -u on a service that is up changes nothing).
type commandQueue interface {
	QueuesCommands()
}
