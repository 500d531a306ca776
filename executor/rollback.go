package executor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
)

// rollbackTimeout bounds the whole rollback, which runs even when the apply's own
// context was cancelled (Ctrl-C must not leave Plex down with half its settings).
const rollbackTimeout = 5 * time.Minute

// rollback discards what was staged, puts back every store written, in reverse order,
// and every service in the state it had, then checks the server again. Every error is
// kept.
func (r *run) rollback(ctx context.Context, cause error) error {
	// A signal cancels the context; whatever step failed because of it says so less
	// clearly than the signal itself (a verify "timed out" because it was cut off).
	cause, interrupted := byInterrupt(ctx, cause)
	for s, p := range r.staged {
		if err := p.Discard(); err != nil {
			r.obs.Event(Event{Type: EventWarning, Resource: s.Resource.Name, Message: err.Error()})
		}
	}
	if len(r.stopped) == 0 && len(r.written) == 0 {
		_ = r.journal.finish() // nothing was changed, so there is nothing to recover
		r.prune()
		return &Failure{Err: cause, RolledBack: true, Interrupted: interrupted, Backups: r.backups}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	r.journal.rollingBack(cause)
	pause(stepRollingBack)
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
		if err := restoreIfChanged(ctx, s.Store.Store, snap); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("rollback %s: %w", s.Resource.Name, err))
			left = append(left, fmt.Sprintf("%s (%s) is NOT restored; its backup is %s", s.Resource.Name, s.Store.Store.Target(), r.backupPath(s)))
			continue
		}
		r.obs.Event(Event{Type: EventRestored, Resource: s.Resource.Name, Message: fmt.Sprintf("Restored %s", s.Store.Store.Target())})
	}
	for _, svc := range r.steps.Services {
		up, known := r.wasUp[svc.Service]
		if !known {
			continue
		}
		now, err := svc.Running(ctx)
		if err == nil && now == up {
			continue
		}
		if err := r.setState(ctx, svc.Service, up); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("rollback: %w", err))
			left = append(left, fmt.Sprintf("service %s is not %s again", svc.Resource.Name, stateWord(up)))
		}
	}
	// The host is as it was once stores and services are; a server that fails its checks
	// now may have failed them before this apply too, so it is reported, not "left".
	// After an interruption the user wants plexform to end, not to wait out the checks.
	if len(left) == 0 && r.anyWasUp() && !interrupted {
		if err := r.verify(ctx); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("after the rollback the server still fails its checks (perhaps it did before this apply too): %w", err))
		}
	}
	if len(left) == 0 {
		if err := r.journal.finish(); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	r.prune()
	all := multierror.Append(&multierror.Error{}, cause)
	if errs != nil {
		all = multierror.Append(all, errs.Errors...)
	}
	all.ErrorFormat = plan.Problems
	return &Failure{Err: all, RolledBack: len(left) == 0, Left: left, Backups: r.backups, Changed: true, Interrupted: interrupted}
}

// restoreIfChanged puts snap back unless the store already holds exactly it: rewriting
// bytes that are already there could only fail (a full disk), never help.
func restoreIfChanged(ctx context.Context, st stores.Store, snap stores.Snapshot) error {
	if now, err := st.Snapshot(ctx); err == nil && sameSnapshot(now, snap) {
		return nil
	}
	return st.Restore(ctx, snap)
}

func (r *run) anyWasUp() bool {
	for _, up := range r.wasUp {
		if up {
			return true
		}
	}
	return false
}

func (r *run) backupPath(s *host.StoreStep) string {
	for _, m := range r.backups {
		if m.Resource == s.Resource.Name {
			return r.opts.Backups.BackupPath(m)
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
