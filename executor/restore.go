package executor

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// Restored is a successful restore.
type Restored struct {
	Manifest *state.Manifest
	// Before is the backup of what the store held just before the restore, so the
	// restore itself can be undone; nil when the store did not exist.
	Before *state.Manifest
}

// Restore puts backup id back into st, under the same locks as apply (the backups
// dir's and the store's). st is where the bytes go, whatever the manifest says: the
// caller chooses it (a store the plan binds, or a target the user named), because a
// manifest is only data in a directory. When svc is given it is stopped for the
// restore and started again, for the reason apply does it: PMS rewrites its settings
// on exit. What the store holds first is backed up itself.
func Restore(ctx context.Context, st stores.Store, svc *host.Service, id string, opts Options) (*Restored, error) {
	obs := opts.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	unlock, err := opts.Backups.Lock(opts.LockWait)
	if err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	defer unlock()
	unlockStore, err := state.LockStores([]string{st.Target()}, opts.LockWait)
	if err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	defer unlockStore()
	if err := opts.Backups.CheckUnfinished(); err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	// Loaded under the locks, and these checked bytes are the ones written: the sha256
	// is verified on exactly what the restore puts back.
	m, snap, err := opts.Backups.Load(id)
	if err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	// Its sha256 matches its manifest, which says only that the copy is the one saved,
	// not that it is a settings file: bytes the store could not read are refused
	// before anything is stopped.
	if err := st.CheckSnapshot(snap); err != nil {
		return nil, &Failure{Err: fmt.Errorf("backup %s cannot be restored to %s: %w", m.ID, st.Target(), err), RolledBack: true}
	}
	if line, err := opts.Backups.Tidy([]string{st.Target()}); line != "" || err != nil {
		warn(obs, line, err)
	}
	if err := st.CheckWritable(ctx); err != nil {
		return nil, &Failure{Err: err, RolledBack: true}
	}
	r := &run{opts: opts, obs: obs, wasUp: map[*host.Service]bool{}}
	up := false
	if svc != nil {
		if up, err = svc.Running(ctx); err != nil {
			return nil, &Failure{Err: fmt.Errorf("%s: %w", svc.Resource.Name, err), RolledBack: true}
		}
		if up {
			r.wasUp[svc] = true // before the stop: a stop that fails half way still needs a start
			if err := r.setState(ctx, svc, false); err != nil {
				return nil, r.startAgain(ctx, svc, err)
			}
		}
	}
	res := &Restored{Manifest: m}
	current, err := st.Snapshot(ctx)
	if err == nil {
		if res.Before, err = opts.Backups.Save(m.Resource, m.Kind, st.Target(), "restore "+m.ID, opts.Version, current); err != nil {
			return nil, r.startAgain(ctx, svc, fmt.Errorf("back up the current state before the restore: %w", err))
		}
	}
	if err := st.Restore(ctx, snap); err != nil {
		// A failed Restore leaves the store as it was (the Store contract).
		return nil, r.startAgain(ctx, svc, fmt.Errorf("restore %s: %w; the store is as it was", st.Target(), err))
	}
	obs.Event(Event{Type: EventRestored, Resource: m.Resource, Backup: m.ID,
		Message: fmt.Sprintf("Restored %s from backup %s (owner %s, mode %s)", st.Target(), m.ID, fileutil.RootAt(opts.Root).DescribeOwner(m.UID, m.GID), m.Mode)})
	if up {
		if err := r.setState(ctx, svc, true); err != nil {
			return nil, r.undoRestore(ctx, st, svc, res, current, err)
		}
	}
	if res.Before != nil && opts.Keep > 0 {
		if err := opts.Backups.Prune(m.Resource, st.Target(), opts.Keep); err != nil {
			obs.Event(Event{Type: EventWarning, Message: err.Error()})
		}
	}
	return res, nil
}

// undoRestore ends a restore after which the server did not start: what the store held
// before the restore (backed up as res.Before, and still in memory as before) is put
// back and the server started again, as an apply rolls back a failed start. Plex is
// left down only when that fails too, and the failure then says exactly what is left.
func (r *run) undoRestore(ctx context.Context, st stores.Store, svc *host.Service, res *Restored, before stores.Snapshot, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	cause = fmt.Errorf("%s did not start after the restore of backup %s: %w", svc.Resource.Name, res.Manifest.ID, cause)
	if res.Before == nil {
		// The store did not exist (or could not be read) before: there is nothing to put back.
		return &Failure{Err: cause, Changed: true, Left: []string{
			fmt.Sprintf("%s holds backup %s, and there was no earlier content to put back", st.Target(), res.Manifest.ID),
			fmt.Sprintf("service %s is not running again", svc.Resource.Name)}}
	}
	r.obs.Event(Event{Type: EventRollback, Message: fmt.Sprintf("Rolling back: %s did not start; putting back what %s held before the restore (backup %s)", svc.Resource.Name, st.Target(), res.Before.ID)})
	var errs *multierror.Error
	errs = multierror.Append(errs, cause)
	if up, err := svc.Running(ctx); err != nil || up {
		if err := r.setState(ctx, svc, false); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("rollback: %w", err))
		}
	}
	if err := restoreIfChanged(ctx, st, before); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("rollback %s: %w", st.Target(), err))
		errs.ErrorFormat = plan.Problems
		return &Failure{Err: errs, Changed: true, Backups: []*state.Manifest{res.Before}, Left: []string{
			fmt.Sprintf("%s holds backup %s and is NOT put back; what it held before is backup %s", st.Target(), res.Manifest.ID, res.Before.ID),
			fmt.Sprintf("service %s is not running again", svc.Resource.Name)}}
	}
	r.obs.Event(Event{Type: EventRestored, Resource: res.Manifest.Resource, Backup: res.Before.ID, Message: fmt.Sprintf("Restored %s as it was before (backup %s)", st.Target(), res.Before.ID)})
	errs.ErrorFormat = plan.Problems
	if err := r.setState(ctx, svc, true); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("rollback: %w", err))
		return &Failure{Err: errs, Changed: true, Backups: []*state.Manifest{res.Before}, Left: []string{
			fmt.Sprintf("service %s is not running again (%s holds what it held before the restore)", svc.Resource.Name, st.Target())}}
	}
	return &Failure{Err: errs, RolledBack: true, Changed: true, Backups: []*state.Manifest{res.Before}}
}

// startAgain ends a restore that failed before the store changed: the service this
// restore stopped is started again, and the failure says whether that worked.
func (r *run) startAgain(ctx context.Context, svc *host.Service, cause error) error {
	if svc == nil || !r.wasUp[svc] {
		return &Failure{Err: cause, RolledBack: true}
	}
	if err := r.setState(context.WithoutCancel(ctx), svc, true); err != nil {
		return &Failure{Err: fmt.Errorf("%w; and starting %s again failed: %v", cause, svc.Resource.Name, err),
			Changed: true, Left: []string{fmt.Sprintf("service %s is not running again", svc.Resource.Name)}}
	}
	return &Failure{Err: cause, RolledBack: true, Changed: true}
}
