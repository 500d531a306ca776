package executor

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// Recovery is what `plexform recover` found and did.
type Recovery struct {
	// Journal is the run that was cut short; nil when there was none (nothing to do).
	Journal *state.Journal
	// Actions says, one line each, what recover will do (before Confirm) or did.
	Actions []string
}

// RecoverOperation undoes a run cut short, under the same lock as apply.
type RecoverOperation struct {
	Host *host.Host
	Options
	// Confirm is shown the planned actions and asks; nil goes on without asking.
	Confirm func(ctx context.Context, actions []string) (bool, error)
}

// recoverStore is one store of the journal, bound to this host.
type recoverStore struct {
	entry  state.JournalStore
	store  *host.Store
	backup *state.Manifest
	snap   stores.Snapshot
	differ bool
}

// Recover puts the host back as it was before the run the journal records: every store
// that differs from its backup gets the backup back (with its service stopped for it),
// every service the run moved goes back to the state it had, staged files are removed,
// and the journal with them.
func Recover(ctx context.Context, op RecoverOperation) (*Recovery, error) {
	obs := op.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	unlock, err := lockAll(op.Host, op.Backups, op.LockWait)
	if err != nil {
		return nil, refused(err)
	}
	defer unlock()
	// A recover killed while it restored a store leaves that write's temp file, and an
	// apply killed while staging leaves its own with no journal: either way, what a run
	// cut short left beside the stores goes first, journal or not.
	line, err := op.Backups.Tidy(storeTargets(op.Host))
	warn(obs, line, err)
	j, err := op.Backups.ReadJournal()
	if err != nil || j == nil {
		return &Recovery{}, err
	}
	rec := &Recovery{Journal: j}
	targets, err := bindJournal(ctx, op, j)
	if err != nil {
		return rec, refused(err)
	}
	services, err := bindJournalServices(op.Host, j)
	if err != nil {
		return rec, refused(err)
	}
	for _, t := range targets {
		if t.differ {
			rec.Actions = append(rec.Actions, fmt.Sprintf("restore %s (%s) from backup %s", t.entry.Resource, t.entry.Target, t.backup.ID))
		}
		if t.entry.Staged != "" && stagedLeft(fileutil.RootAt(op.Host.Options.Root), t.entry.Staged, t.store.Store.Target()) {
			rec.Actions = append(rec.Actions, fmt.Sprintf("remove the staged file %s", t.entry.Staged))
		}
	}
	for _, c := range j.InFlight {
		rec.Actions = append(rec.Actions, fmt.Sprintf("wait for what is left of the %s command of %s that the run was running, and kill it after %s's timeout", c.Action, c.Service, c.Service))
	}
	for _, s := range services {
		if s.wasUp {
			rec.Actions = append(rec.Actions, fmt.Sprintf("stop %s if it is up (a stop of that run may still be under way) and start it, so it is running, as it was", s.svc.Resource.Name))
			continue
		}
		rec.Actions = append(rec.Actions, fmt.Sprintf("make sure %s is %s, as it was", s.svc.Resource.Name, stateWord(s.wasUp)))
	}
	if op.Confirm != nil {
		ok, err := op.Confirm(ctx, rec.Actions)
		if err != nil {
			return rec, refused(err)
		}
		if !ok {
			return rec, refused(ErrCancelled)
		}
	}
	// From here on, go through with it even after a Ctrl-C: a half-done recover is the
	// very state it exists to end.
	ctx = context.WithoutCancel(ctx)
	// recover's own service commands are recorded in the same journal, so a recover
	// killed while one runs leaves it to the next recover to wait for.
	rj := &journal{backups: op.Backups, obs: obs, j: *j}
	r := &run{opts: op.Options, obs: obs, wasUp: map[*host.Service]bool{}, journal: rj}
	// Nothing of the cut-short run may still be moving a service when recover reads its
	// state: a stop finishing after the start below would leave the server down.
	if err := endLeftovers(ctx, op.Host, rj, recoverMoves(targets, services), obs); err != nil {
		return rec, &Failure{Err: fmt.Errorf("recover changed nothing yet, and the journal stays; run it again once the problem is fixed: %w", err),
			Left: []string{"the run recorded in " + op.Backups.JournalPath()}}
	}
	var errs *multierror.Error
	// left says, as a rollback does, what is not back as it was: a store not restored,
	// a service not in its state.
	var left []string
	notRestored := func(t *recoverStore) {
		left = append(left, fmt.Sprintf("%s (%s) is NOT restored; its backup is %s", t.entry.Resource, t.entry.Target, op.Backups.BackupPath(t.backup)))
	}
	for _, t := range targets {
		if t.entry.Staged != "" {
			if err := removeStaged(fileutil.RootAt(op.Host.Options.Root), t.entry.Staged, t.store.Store.Target()); err != nil {
				errs = multierror.Append(errs, err)
			}
		}
		if !t.differ {
			continue
		}
		if svc := t.store.Service; svc != nil {
			if up, err := svc.Running(ctx); err != nil || up {
				// A service the run never got to move is one recover moves: it goes
				// back up at the end, and the journal says so before it stops, so that
				// a recover killed while it is down leaves the next one to start it.
				var err error
				if services, err = rememberMove(rj, services, svc); err != nil {
					errs = multierror.Append(errs, fmt.Errorf("stop %s to restore %s: %w", svc.Resource.Name, t.entry.Resource, err))
					notRestored(t)
					continue
				}
				if err := r.setState(ctx, svc, false); err != nil {
					errs = multierror.Append(errs, fmt.Errorf("stop %s to restore %s: %w", svc.Resource.Name, t.entry.Resource, err))
					notRestored(t)
					continue
				}
			}
		}
		if err := t.store.Store.Restore(ctx, t.snap); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("restore %s: %w", t.entry.Resource, err))
			notRestored(t)
			continue
		}
		obs.Event(Event{Type: EventRestored, Resource: t.entry.Resource, Backup: t.backup.ID, Message: fmt.Sprintf("Restored %s from backup %s", t.entry.Target, t.backup.ID)})
	}
	for _, s := range services {
		up, err := s.svc.Running(ctx)
		if err == nil && up && s.wasUp {
			// The run may have issued a stop that is still taking effect: a server on its
			// way down reads as running to a status command that asks only whether its
			// process lives (exec). So recover stops it itself and waits until it is down;
			// the start below then ends in a state that stays.
			if err := r.setState(ctx, s.svc, false); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("stop %s to start it afresh: %w", s.svc.Resource.Name, err))
				left = append(left, serviceNotBack(ctx, s.svc, s.wasUp))
				continue
			}
			up = false
		}
		if _, queues := s.svc.Service.(commandQueue); err == nil && up == s.wasUp && !queues {
			continue
		}
		if err := r.setState(ctx, s.svc, s.wasUp); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("put %s back to %s: %w", s.svc.Resource.Name, stateWord(s.wasUp), err))
			left = append(left, serviceNotBack(ctx, s.svc, s.wasUp))
		}
	}
	if errs != nil {
		errs.ErrorFormat = plan.Problems
		left = append(left, "the journal of the run, "+op.Backups.JournalPath()+", which the next `plexform recover` picks up")
		return rec, &Failure{Err: fmt.Errorf("recover is not complete; the journal stays, so run it again once the problem is fixed: %w", errs), Changed: true,
			Left: left, Backups: backupsOf(targets)}
	}
	if err := (&journal{backups: op.Backups}).finish(); err != nil {
		return rec, &Failure{Err: err, Changed: true}
	}
	return rec, nil
}

// serviceNotBack says that svc is not in the state it had, and the state it reads now.
func serviceNotBack(ctx context.Context, svc *host.Service, wasUp bool) string {
	now := "in a state its status does not tell"
	if up, err := svc.Running(ctx); err == nil {
		now = stateWord(up)
	}
	return fmt.Sprintf("service %s is not %s again (it is %s)", svc.Resource.Name, stateWord(wasUp), now)
}

// backupsOf lists the backups the journal's stores go back to.
func backupsOf(targets []*recoverStore) []*state.Manifest {
	var out []*state.Manifest
	for _, t := range targets {
		if t.backup != nil {
			out = append(out, t.backup)
		}
	}
	return out
}

// bindJournal finds each journal store in the plan and compares it with its backup.
func bindJournal(ctx context.Context, op RecoverOperation, j *state.Journal) ([]*recoverStore, error) {
	var errs *multierror.Error
	var out []*recoverStore
	for _, e := range j.Stores {
		st := op.Host.Store(e.Resource)
		if st == nil {
			errs = multierror.Append(errs, fmt.Errorf("the interrupted run wrote %s (%s), which this plan does not have; run recover with the plan that run used (%s) and the same -root", e.Resource, e.Target, j.Plan))
			continue
		}
		if st.Store.Target() != e.Target {
			errs = multierror.Append(errs, fmt.Errorf("the interrupted run wrote %s at %s, but this plan puts it at %s; run recover with the plan that run used (%s) and the same -root", e.Resource, e.Target, st.Store.Target(), j.Plan))
			continue
		}
		t := &recoverStore{entry: e, store: st}
		if e.Backup != "" {
			m, snap, err := op.Backups.Load(e.Backup)
			if err != nil {
				errs = multierror.Append(errs, fmt.Errorf("%s: %w", e.Resource, err))
				continue
			}
			if m.Resource != e.Resource || m.Target != e.Target {
				errs = multierror.Append(errs, fmt.Errorf("%s: backup %s is of %s, not of this store; check the backups dir by hand", e.Resource, m.ID, m.Target))
				continue
			}
			t.backup, t.snap = m, snap
			now, err := st.Store.Snapshot(ctx)
			t.differ = err != nil || !sameSnapshot(now, snap)
		}
		out = append(out, t)
	}
	return out, plan.Gather(errs)
}

// recoverMoves lists the services recover may move: those the journal names and those
// guarding a store it restores, each once.
func recoverMoves(targets []*recoverStore, services []recoverService) []*host.Service {
	var out []*host.Service
	seen := map[*host.Service]bool{}
	add := func(svc *host.Service) {
		if svc != nil && !seen[svc] {
			seen[svc] = true
			out = append(out, svc)
		}
	}
	for _, s := range services {
		add(s.svc)
	}
	for _, t := range targets {
		add(t.store.Service)
	}
	return out
}

// rememberMove adds svc, found running (or in no state it could tell), to the services
// recover puts back, and to the journal, unless the run already named it. The journal
// must say so before recover stops it (a recover killed while it is down leaves the next
// one to start it), so an error writing it is returned and the service is not stopped.
func rememberMove(j *journal, services []recoverService, svc *host.Service) ([]recoverService, error) {
	for _, s := range services {
		if s.svc == svc {
			return services, nil
		}
	}
	j.j.Services = append(j.j.Services, state.JournalService{Resource: svc.Resource.Name, WasRunning: true})
	if err := j.save(j.j.Step, true); err != nil {
		j.j.Services = j.j.Services[:len(j.j.Services)-1]
		return services, fmt.Errorf("record in the journal that recover stops %s: %w", svc.Resource.Name, err)
	}
	return append(services, recoverService{svc: svc, wasUp: true}), nil
}

type recoverService struct {
	svc   *host.Service
	wasUp bool
}

func bindJournalServices(h *host.Host, j *state.Journal) ([]recoverService, error) {
	var errs *multierror.Error
	var out []recoverService
	for _, s := range j.Services {
		svc := h.ServiceByName(s.Resource)
		if svc == nil {
			errs = multierror.Append(errs, fmt.Errorf("the interrupted run moved the service %s, which this plan does not have; run recover with the plan that run used (%s) and the same -root", s.Resource, j.Plan))
			continue
		}
		out = append(out, recoverService{svc: svc, wasUp: s.WasRunning})
	}
	return out, plan.Gather(errs)
}

// stagedLeft tells whether the staged file the journal names is still beside the store:
// the tidy before it removes what a run cut short left, and a recover killed after its
// tidy leaves a journal naming files that are gone. When the directory cannot be read
// it says true: the removal, which ignores a missing file, is offered all the same.
func stagedLeft(root fileutil.Root, staged, target string) bool {
	names, err := root.Leftovers(target)
	return err != nil || slices.Contains(names, filepath.Base(staged))
}

// removeStaged removes a staged file the journal names, but only one of ours: a temp
// name of the store's file, removed from the directory that file really is in, found
// through the Root as Stage found it (under -root a link there means the tree's path,
// never this machine's). Any other name is left alone, and a symlink planted at the
// staged name is removed itself, never followed.
func removeStaged(root fileutil.Root, staged, target string) error {
	if err := root.RemoveLeftover(target, staged); err != nil {
		return fmt.Errorf("remove the staged file %s that the journal names: %w", staged, err)
	}
	return nil
}
