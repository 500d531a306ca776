// Package executor applies a plan to the host: lock, stop the services that guard
// changed stores, re-read, back up, write, start, verify, and on any failure put
// everything back (DESIGN.md §6).
package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
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
	if err := ServiceStateErrors(first); err != nil {
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
	if err := r.startServices(ctx, now); err != nil {
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
	r.prune()
	return res, nil
}

// prune keeps the newest backups of each store this apply backed up, whether the apply
// went through or was rolled back.
func (r *run) prune() {
	if r.opts.Keep < 1 {
		return // no keep: given means keep everything, never "keep none"
	}
	for _, m := range r.backups {
		if err := r.opts.Backups.Prune(m.Resource, m.Target, r.opts.Keep); err != nil {
			r.obs.Event(Event{Type: EventWarning, Message: err.Error()})
		}
	}
}

func staleError(saved *plan.Saved, now *plan.Changes) error {
	reasons := saved.Stale(now)
	if len(reasons) == 0 {
		return nil
	}
	return fmt.Errorf("the saved plan is stale, so nothing was changed; run `plexform plan -out` again:\n  %s", strings.Join(reasons, "\n  "))
}

// ServiceStateErrors refuses an apply when a service's state is unknown: stopping
// it for the writes and starting it after would be guesses.
func ServiceStateErrors(ch *plan.Changes) error {
	var errs *multierror.Error
	for _, sc := range ch.Services {
		// A service that needs no move (nothing it guards changes) may stay unread.
		if sc.StateError != "" && sc.Action != plan.Leave {
			errs = multierror.Append(errs, fmt.Errorf("%s: cannot read its state, so plexform cannot stop it safely before the write; nothing was changed: %s", sc.Address, sc.StateError))
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

// IsFailure unwraps a *Failure.
func IsFailure(err error) (*Failure, bool) {
	var f *Failure
	ok := errors.As(err, &f)
	return f, ok
}
