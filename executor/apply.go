// Package executor applies a plan to the host: lock, stop the services that guard
// changed stores, re-read, back up, write, start, verify, and on any failure put
// everything back (DESIGN.md §6).
package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
)

// Options say how to apply.
type Options struct {
	Backups  *Backups
	Keep     int
	LockWait time.Duration
	// Saved, when set, is the saved plan being applied: any difference between it and
	// the host as re-read refuses the apply.
	Saved    *plan.Saved
	PlanFile string
	Version  string
	Observer Observer
}

// Result is a successful apply.
type Result struct {
	// Changes is the diff as applied: the one re-read after the services stopped.
	Changes *plan.Changes
	Backups []*Manifest
	// Downtime runs from the moment the last guarding service was down to the moment
	// its start was issued: the time plexform itself kept Plex away.
	Downtime time.Duration
	// Rechecked is true when the re-read after the stop differed from the first read
	// (the server rewrote its settings on shutdown).
	Rechecked bool
}

// Failure is a failed apply. RolledBack says whether the host is back as it was;
// when it is not, Left lists exactly what is left and Backups where the copies are.
type Failure struct {
	Err        error
	RolledBack bool
	Left       []string
	Backups    []*Manifest
	// Changed is false when the apply failed before it changed anything at all.
	Changed bool
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// run is one apply in progress: what it has done so far, so a rollback can undo it.
type run struct {
	h        *host.Host
	opts     Options
	obs      Observer
	stopped  []*host.Service // services this apply stopped, in stop order
	wasUp    map[*host.Service]bool
	written  []*host.Store
	snaps    map[*host.Store]stores.Snapshot
	backups  []*Manifest
	logMarks []logMark
	// startIssued is when the first start was asked for: the end of the downtime
	// plexform itself caused.
	startIssued time.Time
}

// Apply makes the host match the plan.
func Apply(ctx context.Context, h *host.Host, opts Options) (*Result, error) {
	obs := opts.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	r := &run{h: h, opts: opts, obs: obs, wasUp: map[*host.Service]bool{}, snaps: map[*host.Store]stores.Snapshot{}}

	unlock, err := opts.Backups.Lock(opts.LockWait)
	if err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	defer unlock()

	first, err := h.Diff(ctx)
	if err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	if opts.Saved != nil {
		if err := staleError(opts.Saved, first); err != nil {
			return nil, &Failure{Err: err, RolledBack: true}
		}
	}
	if !first.HasChanges() {
		return &Result{Changes: first}, nil
	}
	if err := serviceStateErrors(first); err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	if err := r.checkWritable(ctx, first); err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	r.logMarks = markLogs(h)

	// Stop every service that must be down, then read again: PMS writes its settings
	// on shutdown, so what it held while running is not what it holds now.
	if err := r.stopServices(ctx, first); err != nil {
		return nil, r.rollback(ctx, err)
	}
	stoppedAt := time.Now()
	now, err := h.DiffStores(ctx, first)
	if err != nil {
		return nil, r.rollback(ctx, err)
	}
	if opts.Saved != nil {
		if err := staleError(opts.Saved, now); err != nil {
			return nil, r.rollback(ctx, err)
		}
	}
	// A token from the claim exchange is fetched now, while the server is down, and
	// written like any other value.
	if resolved, err := h.ResolveDeferred(ctx, now); err != nil {
		return nil, r.rollback(ctx, err)
	} else if resolved {
		r.obs.Event(Event{Type: EventExchanged, Message: "Exchanged the claim token at plex.tv for the server's token"})
		if now, err = h.DiffStores(ctx, first); err != nil {
			return nil, r.rollback(ctx, err)
		}
	}
	if err := r.backUp(ctx, now); err != nil {
		return nil, r.rollback(ctx, err)
	}
	if err := r.write(ctx, now); err != nil {
		return nil, r.rollback(ctx, err)
	}
	if err := r.startServices(ctx); err != nil {
		return nil, r.rollback(ctx, err)
	}
	if err := r.claim(ctx, now); err != nil {
		return nil, r.rollback(ctx, err)
	}
	if err := r.verify(ctx); err != nil {
		return nil, r.rollback(ctx, err)
	}
	if err := h.RecordClaims(now); err != nil {
		obs.Event(Event{Type: EventWarning, Message: "could not remember the spent claim token: " + err.Error()})
	}
	res := &Result{Changes: now, Backups: r.backups, Rechecked: !sameValueActions(first, now)}
	if len(r.stopped) > 0 && !r.startIssued.IsZero() {
		res.Downtime = r.startIssued.Sub(stoppedAt)
	}
	for _, s := range r.written {
		if err := opts.Backups.Prune(s.Resource.Name, s.Store.Target(), opts.Keep); err != nil {
			obs.Event(Event{Type: EventWarning, Message: err.Error()})
		}
	}
	return res, nil
}

func staleError(saved *plan.Saved, now *plan.Changes) error {
	reasons := saved.Stale(now)
	if len(reasons) == 0 {
		return nil
	}
	return fmt.Errorf("the saved plan is stale, so nothing was changed; run `plexform plan -out` again:\n  %s", strings.Join(reasons, "\n  "))
}

// serviceStateErrors refuses an apply when a service's state is unknown: stopping
// it for the writes and starting it after would be guesses.
func serviceStateErrors(ch *plan.Changes) error {
	var errs *multierror.Error
	for _, sc := range ch.Services {
		if sc.StateError != "" {
			errs = multierror.Append(errs, fmt.Errorf("%s: cannot read its state, so plexform cannot stop it safely before the write: %s", sc.Address, sc.StateError))
		}
	}
	return plan.Gather(errs)
}

// sameValueActions reports whether two diffs plan the same value actions.
func sameValueActions(a, b *plan.Changes) bool {
	if len(a.Resources) != len(b.Resources) {
		return false
	}
	for i := range a.Resources {
		va, vb := a.Resources[i].Values, b.Resources[i].Values
		if len(va) != len(vb) {
			return false
		}
		for j := range va {
			if va[j].Action != vb[j].Action || va[j].StoreName != vb[j].StoreName {
				return false
			}
		}
	}
	return true
}

// checkWritable asks every store with changes whether it can be written, before any
// service is stopped, so a permission problem costs no downtime.
func (r *run) checkWritable(ctx context.Context, ch *plan.Changes) error {
	var errs *multierror.Error
	for _, rc := range ch.Resources {
		if !rc.HasChanges() {
			continue
		}
		if err := r.h.Store(rc.Address).Store.CheckWritable(ctx); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: %w", rc.Address, err))
		}
	}
	return plan.Gather(errs)
}

func (r *run) stopServices(ctx context.Context, ch *plan.Changes) error {
	for _, sc := range ch.Services {
		svc := r.h.ServiceByName(sc.Address)
		r.wasUp[svc] = sc.Running
		if sc.Action != plan.Restart && sc.Action != plan.Stop {
			continue
		}
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
	if err := act(ctx); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	start := time.Now()
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
	r.obs.Event(Event{Type: done, Resource: name, Message: fmt.Sprintf("%s %s after %s", name, done, roundMs(time.Since(start))), ElapsedMs: time.Since(start).Milliseconds()})
	return nil
}

// claim signs the server in where the plan wants it claimed and it is not.
func (r *run) claim(ctx context.Context, ch *plan.Changes) error {
	for _, c := range r.h.Claims {
		needed := false
		for _, cc := range ch.Claims {
			needed = needed || (cc.Address == c.Resource.Name && cc.Claim)
		}
		if !needed {
			continue
		}
		r.obs.Event(Event{Type: EventClaiming, Resource: c.Resource.Name, Message: fmt.Sprintf("Claiming %s", c.Server.URL)})
		if err := c.Claimed(ctx); err != nil {
			return fmt.Errorf("%s: %w", c.Resource.Name, err)
		}
		r.obs.Event(Event{Type: EventClaimed, Resource: c.Resource.Name, Message: fmt.Sprintf("%s says claimed=\"1\"", c.Server.URL)})
	}
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

// write applies each store's edits, then reads it back: a store that still differs
// from the plan after its write is a failure, not a success to report.
func (r *run) write(ctx context.Context, ch *plan.Changes) error {
	for _, rc := range ch.Resources {
		if !rc.HasChanges() {
			continue
		}
		s := r.h.Store(rc.Address)
		// A failed Write leaves its store as it was (the Store contract), so only a
		// store whose write went through needs putting back.
		if err := s.Store.Write(ctx, rc.Edits()); err != nil {
			return fmt.Errorf("%s: %w", rc.Address, err)
		}
		r.written = append(r.written, s)
		after, err := s.Diff(ctx)
		if err != nil {
			return err
		}
		if after.HasChanges() {
			return fmt.Errorf("%s: %s still differs from the plan after the write", rc.Address, rc.Target)
		}
		r.obs.Event(Event{Type: EventWritten, Resource: rc.Address, Message: fmt.Sprintf("Wrote %s", rc.Target)})
	}
	return nil
}

// startServices brings every service to its desired state. The services this apply
// stopped are known to be down, so their start is issued without asking first.
func (r *run) startServices(ctx context.Context) error {
	for _, svc := range r.h.Services {
		if !svc.WantRunning() {
			continue
		}
		if !slices.Contains(r.stopped, svc) {
			running, err := svc.Running(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", svc.Resource.Name, err)
			}
			if running {
				continue
			}
		}
		if err := r.setState(ctx, svc, true); err != nil {
			return err
		}
	}
	return nil
}

// rollbackTimeout bounds the whole rollback, which runs even when the apply's own
// context was cancelled (Ctrl-C must not leave Plex down with half its settings).
const rollbackTimeout = 5 * time.Minute

// rollback puts back every store written, in reverse order, and every service in the
// state it had, then checks the server again. Every error is kept.
func (r *run) rollback(ctx context.Context, cause error) error {
	if len(r.stopped) == 0 && len(r.written) == 0 {
		return &Failure{Err: cause, RolledBack: true}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	r.obs.Event(Event{Type: EventRollback, Message: "Rolling back: " + firstLine(cause.Error())})
	var errs *multierror.Error
	var left []string
	// A service started after the writes must be down again while its files go back.
	for _, s := range r.written {
		if svc := s.Service; svc != nil {
			if up, err := svc.Running(ctx); err == nil && up {
				if err := r.setState(ctx, svc, false); err != nil {
					errs = multierror.Append(errs, fmt.Errorf("rollback: %w", err))
				}
			}
		}
	}
	for i := len(r.written) - 1; i >= 0; i-- {
		s := r.written[i]
		snap, ok := r.snaps[s]
		if !ok {
			continue
		}
		// Rewriting bytes that are already there could only fail (a full disk), never help.
		if now, err := s.Store.Snapshot(ctx); err == nil && bytes.Equal(now.Data, snap.Data) && now.Meta == snap.Meta {
			r.obs.Event(Event{Type: EventRestored, Resource: s.Resource.Name, Message: fmt.Sprintf("%s is unchanged; nothing to restore", s.Store.Target())})
			continue
		}
		if err := s.Store.Restore(ctx, snap); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("rollback %s: %w", s.Resource.Name, err))
			left = append(left, fmt.Sprintf("%s (%s) is NOT restored; its backup is %s", s.Resource.Name, s.Store.Target(), r.backupPath(s)))
			continue
		}
		r.obs.Event(Event{Type: EventRestored, Resource: s.Resource.Name, Message: fmt.Sprintf("Restored %s", s.Store.Target())})
	}
	for _, svc := range r.h.Services {
		up, known := r.wasUp[svc]
		if !known {
			continue
		}
		now, err := svc.Running(ctx)
		if err == nil && now == up {
			continue
		}
		if err := r.setState(ctx, svc, up); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("rollback: %w", err))
			left = append(left, fmt.Sprintf("service %s is not %s again", svc.Resource.Name, stateWord(up)))
		}
	}
	if len(left) == 0 && r.anyWasUp() {
		if err := r.verify(ctx); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("rollback: the server still fails its checks after the restore: %w", err))
			left = append(left, "the restored server fails its verify checks")
		}
	}
	all := multierror.Append(&multierror.Error{}, cause)
	if errs != nil {
		all = multierror.Append(all, errs.Errors...)
	}
	all.ErrorFormat = plan.Problems
	return &Failure{Err: all, RolledBack: len(left) == 0, Left: left, Backups: r.backups, Changed: true}
}

func (r *run) anyWasUp() bool {
	for _, up := range r.wasUp {
		if up {
			return true
		}
	}
	return false
}

func (r *run) backupPath(s *host.Store) string {
	for _, m := range r.backups {
		if m.Resource == s.Resource.Name {
			return r.opts.Backups.Path(m)
		}
	}
	return "(none was made)"
}

func stateWord(up bool) string {
	if up {
		return "running"
	}
	return "stopped"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// IsFailure unwraps a *Failure.
func IsFailure(err error) (*Failure, bool) {
	var f *Failure
	ok := errors.As(err, &f)
	return f, ok
}
