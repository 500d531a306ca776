package executor

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/plan"
)

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
	// The host is as it was once stores and services are; a server that fails its checks
	// now may have failed them before this apply too, so it is reported, not "left".
	if len(left) == 0 && r.anyWasUp() {
		if err := r.verify(ctx); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("after the rollback the server still fails its checks (perhaps it did before this apply too): %w", err))
		}
	}
	r.prune()
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
