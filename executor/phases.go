package executor

import (
	"context"
	"time"

	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores/fileutil"
)

// An apply runs named phases, in this order. The first two, observe and settle, run in
// host.Steps before the diff is shown: observe reads every store and service once, and
// settle decides each repair there and then (a plex_signin's verdict and re-link, a
// plex_claim's claim), so the diff shown is the one applied. The others are the phases
// list below, run by apply after the user said yes. docs/apply.md ("The phases") says
// what each does.
const (
	PhaseCheck      = "check"
	PhasePrepare    = "prepare"
	PhaseStop       = "stop"
	PhaseRecheck    = "recheck"
	PhaseWrite      = "write"
	PhaseStart      = "start"
	PhaseAfterStart = "after-start"
	PhaseVerify     = "verify"
	PhaseRecord     = "record"
)

// phase is one step of the apply's loop.
type phase struct {
	name string
	do   func(r *run, ctx context.Context) error
	// refuses marks a phase that runs before anything changed: its failure is a refusal,
	// not a rollback.
	refuses bool
}

// phases are apply's steps after observe and settle, in order. The journal's steps
// (prepared, stopped, backed_up, written, started, verified) are marked inside them,
// where the state they name is reached: recover reads them.
var phases = []phase{
	{name: PhaseCheck, do: (*run).check, refuses: true},
	{name: PhasePrepare, do: (*run).prepareAll},
	{name: PhaseStop, do: (*run).stop},
	{name: PhaseRecheck, do: (*run).recheckAll},
	{name: PhaseWrite, do: (*run).writeAll},
	{name: PhaseStart, do: (*run).start},
	{name: PhaseAfterStart, do: (*run).afterStart},
	{name: PhaseVerify, do: (*run).verifyAll},
	{name: PhaseRecord, do: (*run).record},
}

// A participant is a kind's runtime that takes part in the phases it needs beyond the
// stores' and the services' own, as mgmt's resources take on traits: it implements only
// those of the interfaces below that it needs. Their methods use no executor type, so a
// participant lives with its kind (plex_signin and plex_claim in plex/signin) without
// importing the engine.
type participant interface {
	// Name is the resource's name, for its events and errors.
	Name() string
}

// Checker refuses in the check phase, before anything changes, what could only fail
// after the reset (a claim token that cannot be read, a link code nobody may complete).
type Checker interface {
	Check(ctx context.Context) error
}

// AfterStarter acts in the after-start phase, once the services run again (a claim, a
// re-link). event reports what it does (an Event type and its message, about its
// resource); waiting, a wait still going on. Its failure rolls the apply back.
type AfterStarter interface {
	AfterStart(ctx context.Context, event func(kind, message string), waiting func(what string, left time.Duration)) error
}

// participants are the runtimes of the kinds that take part in phases beyond the stores'
// and services' own: the plex_claim resources this apply performs, then the plex_signin
// resources it re-links (both signin's, in plex/signin).
func (r *run) participants() []participant {
	var out []participant
	for _, c := range r.steps.Claims {
		out = append(out, c)
	}
	for _, s := range r.steps.Relinks() {
		out = append(out, s)
	}
	return out
}

// The participants of plex/signin take the phases they need.
var (
	_ AfterStarter = (*signin.Claim)(nil)
	_ Checker      = (*signin.Signin)(nil)
	_ AfterStarter = (*signin.Signin)(nil)
)

// check refuses what would fail later: a store this process cannot write, more staged
// files than it may open, a participant's own check.
func (r *run) check(ctx context.Context) error {
	if err := r.checkWritable(ctx); err != nil {
		return err
	}
	for _, p := range r.participants() {
		if c, ok := p.(Checker); ok {
			if err := c.Check(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// prepareAll marks the verify logs, stages and backs up the changed stores and writes
// the journal: everything that does not need the server down.
func (r *run) prepareAll(ctx context.Context) error {
	r.logMarks = markLogs(ctx, fileutil.RootAt(r.opts.Root), r.steps.Checks)
	if err := r.prepare(ctx); err != nil {
		return err
	}
	r.journal = newJournal(r.opts, r.steps, r)
	if err := r.journal.save(stepPrepared, true); err != nil {
		return err
	}
	pause(stepPrepared)
	return nil
}

// stop stops the services that guard changed stores.
func (r *run) stop(ctx context.Context) error {
	if err := r.stopServices(ctx); err != nil {
		return err
	}
	r.stoppedAt = time.Now()
	r.journal.mark(stepStopped)
	pause(stepStopped)
	return nil
}

// recheckAll reads the stores again with the server down (recheck).
func (r *run) recheckAll(ctx context.Context) error {
	rechecked, err := r.recheck(ctx)
	r.rechecked = rechecked
	return err
}

// writeAll checks the stopped services are still down, then writes every changed store.
func (r *run) writeAll(ctx context.Context) error {
	if err := r.stillStopped(ctx); err != nil {
		return err
	}
	return r.write(ctx)
}

// start starts the services again and waits for the renames to be durable.
func (r *run) start(ctx context.Context) error {
	if err := r.startServices(ctx); err != nil {
		return err
	}
	if err := r.durable(); err != nil {
		return err
	}
	r.journal.step(stepStarted)
	pause(stepStarted)
	return nil
}

// afterStart runs each participant's after-start, in the order the participants are
// listed: the claims, then the re-links.
func (r *run) afterStart(ctx context.Context) error {
	for _, p := range r.participants() {
		a, ok := p.(AfterStarter)
		if !ok {
			continue
		}
		name := p.Name()
		event := func(kind, message string) { r.obs.Event(Event{Type: kind, Resource: name, Message: message}) }
		waiting := func(what string, left time.Duration) { r.obs.Waiting(name, what, left) }
		if err := a.AfterStart(ctx, event, waiting); err != nil {
			return err
		}
	}
	return nil
}

// verifyAll runs the plan's checks.
func (r *run) verifyAll(ctx context.Context) error {
	if err := r.verify(ctx); err != nil {
		return err
	}
	r.journal.step(stepVerified)
	return nil
}

// record keeps what the next run must know (the spent claim tokens) and closes the
// journal. The apply is done: a failure here is a warning.
func (r *run) record(context.Context) error {
	if err := r.steps.RecordClaims(); err != nil {
		r.obs.Event(Event{Type: EventWarning, Message: "could not remember the spent claim token: " + err.Error()})
	}
	if err := r.journal.finish(); err != nil {
		r.obs.Event(Event{Type: EventWarning, Message: err.Error()})
	}
	return nil
}
