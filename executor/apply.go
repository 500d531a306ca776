// Package executor applies a plan to the host: lock, read, show, ask, then stop the
// services that guard changed stores, re-check, write, start, verify, and on any failure
// put everything back. docs/apply.md walks through the steps.
package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/internal/parallel"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
)

// Options say how to apply.
type Options struct {
	Backups  *state.Dir
	Keep     int
	LockWait time.Duration
	// Saved, when set, is the saved plan being applied: any difference between it and
	// the host as read refuses the apply.
	Saved    *plan.Saved
	PlanFile string
	// Root is the -root the plan was bound with, recorded in the journal for recover;
	// owners are named from its accounts (fileutil.Root.DescribeOwner).
	Root     string
	Version  string
	Observer Observer
}

// ErrCancelled is an apply the user declined at the prompt: nothing was changed.
var ErrCancelled = errors.New("apply cancelled")

// Operation is one locked run, as Terraform's apply is: under one lock it reads the
// host, shows the diff, asks, and applies exactly the steps it showed.
type Operation struct {
	Host *host.Host
	Options
	// Show renders the diff once it has been read under the lock.
	Show func(*plan.Changes)
	// Confirm asks whether to go on; nil goes on without asking. It is not called when
	// there is nothing to do.
	Confirm func(ctx context.Context) (bool, error)
}

// Result is a successful apply.
type Result struct {
	// Changes is the diff as applied: as shown, or as re-read after the stop when the
	// server rewrote its settings on shutdown.
	Changes *plan.Changes
	Backups []*state.Manifest
	// Downtime runs from the moment the last guarding service was down to the moment
	// its start was issued: the time plexform itself kept Plex away.
	Downtime time.Duration
	// Rechecked is true when the re-read after the stop differed from the first read
	// (the server rewrote its settings on shutdown).
	Rechecked bool
	// Cleaned lists what an earlier run cut short had left and this one removed.
	Cleaned []string
	// Applied is false when there was nothing to do and nothing was done.
	Applied bool
}

// Failure is a failed apply. RolledBack says whether the host is back as it was;
// when it is not, Left lists exactly what is left and Backups where the copies are.
type Failure struct {
	Err        error
	RolledBack bool
	Left       []string
	Backups    []*state.Manifest
	// Changed is false when the apply failed before it changed anything at all.
	Changed bool
	// Interrupted is true when a signal (Ctrl-C, SIGTERM, SIGHUP) ended the apply.
	Interrupted bool
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// refused is a failure before anything changed.
func refused(err error) error { return &Failure{Err: err, RolledBack: true} }

// refusedIn is refused for an error met while ctx runs: when a signal cancelled ctx,
// the failure names the signal first, as a rollback does, not only what it cut short
// ("cannot read its state: context canceled").
func refusedIn(ctx context.Context, err error) error {
	err, interrupted := byInterrupt(ctx, err)
	return &Failure{Err: err, RolledBack: true, Interrupted: interrupted}
}

// byInterrupt puts the signal that cancelled ctx, if one did, in front of err.
func byInterrupt(ctx context.Context, err error) (error, bool) {
	if !errors.Is(ctx.Err(), context.Canceled) {
		return err, false
	}
	return fmt.Errorf("%v, during: %w", context.Cause(ctx), err), true
}

// run is one apply in progress: what it has done so far, so a rollback can undo it.
type run struct {
	steps    *host.Steps
	opts     Options
	obs      Observer
	journal  *journal
	stopped  []*host.ServiceStep // services this apply stopped, in stop order
	wasUp    map[*host.Service]bool
	staged   map[*host.StoreStep]stores.Staged
	written  []*host.StoreStep
	snaps    map[*host.StoreStep]stores.Snapshot
	backups  []*state.Manifest
	logMarks []logMark
	// committed are the staged writes renamed into place, to be made durable once the
	// services are started again.
	committed []stores.Staged
	// stoppedAt is when the last service was down, startIssued when the first start was
	// asked for: the downtime plexform itself caused.
	stoppedAt, startIssued time.Time
	// rechecked is set when the re-read after the stop differed from the first read.
	rechecked bool
}

// Run is the whole locked operation: lock, refuse after a run cut short, read and diff,
// show, ask, apply.
func Run(ctx context.Context, op Operation) (*Result, error) {
	unlock, err := lockAll(op.Host, op.Backups, op.LockWait)
	if err != nil {
		return nil, refused(err)
	}
	defer unlock()
	if err := op.Backups.CheckUnfinished(); err != nil {
		return nil, refused(err)
	}
	cleaned := tidy(op.Host, op.Backups, op.Observer)
	steps, err := op.Host.Steps(ctx)
	if err != nil {
		return nil, refusedIn(ctx, err)
	}
	if op.Saved != nil {
		if err := staleError(op.Saved, steps.Changes); err != nil {
			return nil, refused(err)
		}
	}
	if op.Show != nil {
		op.Show(steps.Changes)
	}
	if !steps.Changes.HasChanges() {
		return &Result{Changes: steps.Changes, Cleaned: cleaned}, nil
	}
	if err := serviceStateErrors(steps.Changes); err != nil {
		return nil, refusedIn(ctx, err)
	}
	if errs := steps.Changes.Refused(); len(errs) > 0 {
		return nil, refused(errors.New(strings.Join(errs, "\n")))
	}
	if op.Confirm != nil {
		ok, err := op.Confirm(ctx)
		if err != nil {
			return nil, refusedIn(ctx, err)
		}
		if !ok {
			return nil, refused(ErrCancelled)
		}
	}
	res, err := apply(ctx, steps, op.Options)
	if res != nil {
		res.Cleaned = cleaned
	}
	return res, err
}

// Apply is Run without showing or asking, for callers that decided already.
func Apply(ctx context.Context, h *host.Host, opts Options) (*Result, error) {
	return Run(ctx, Operation{Host: h, Options: opts})
}

// lockAll takes the backups directory's lock (one apply, restore or recover at a time
// against these backups) and the lock of every store the plan binds (two applies with
// different backups dirs never edit one file at once). The lock lives in the backups dir,
// so taking it creates the dir; a run that then changes nothing (a refusal, no changes)
// removes the dir again if it made it and left nothing else in it.
func lockAll(h *host.Host, b *state.Dir, wait time.Duration) (func(), error) {
	_, statErr := os.Lstat(b.Path)
	created := errors.Is(statErr, fs.ErrNotExist)
	unlock, err := b.Lock(wait)
	if err != nil {
		return nil, err
	}
	unlockStores, err := state.LockStores(storeTargets(h), wait)
	if err != nil {
		unlock()
		return nil, err
	}
	return func() {
		unlockStores()
		removed := created && b.RemoveIfUnused()
		unlock()
		if removed {
			_ = b.Close() // its handle is of a directory that is gone; the next use opens anew
		}
	}, nil
}

// storeTargets names each store for its lock and its leftovers: a file store by its
// absolute path (a plan's relative path is relative to the plan file, which may be
// relative to the working directory), any other store by its target.
func storeTargets(h *host.Host) []string {
	var targets []string
	for _, s := range h.Stores {
		t := s.Store.Target()
		if _, isFile := s.Store.(stores.Stager); isFile && !filepath.IsAbs(t) {
			if abs, err := filepath.Abs(t); err == nil {
				t = abs
			}
		}
		targets = append(targets, t)
	}
	return targets
}

// tidy removes what a run cut short left (backup copies without a manifest, temp files
// beside the stores) and reports manifests the backups listing skipped.
func tidy(h *host.Host, b *state.Dir, obs Observer) []string {
	var cleaned []string
	line, err := b.Tidy(storeTargets(h))
	if line != "" {
		cleaned = append(cleaned, line)
	}
	if err != nil && obs != nil {
		obs.Event(Event{Type: EventWarning, Message: err.Error()})
	}
	for _, p := range b.Problems() {
		if obs != nil {
			obs.Event(Event{Type: EventWarning, Message: p.Error()})
		}
	}
	return cleaned
}

// apply carries out bound steps, one phase after another (phases.go). Everything that
// does not need the server down happens before the stop: the backups of the bytes the
// diff was computed from, the new content staged beside each store, the journal. While
// it is down: a byte compare, a check that it stayed down, a rename per store.
func apply(ctx context.Context, steps *host.Steps, opts Options) (res *Result, err error) {
	obs := opts.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	r := &run{steps: steps, opts: opts, obs: obs, wasUp: map[*host.Service]bool{},
		staged: map[*host.StoreStep]stores.Staged{}, snaps: map[*host.StoreStep]stores.Snapshot{}}
	// A bug must not leave Plex stopped with half its settings: a panic anywhere in the
	// run becomes an error that rolls back like any other, naming the step it hit.
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, r.rollback(ctx, fmt.Errorf("internal error (a bug in plexform, please report it) after step %q: %v", r.journal.last(), p))
		}
	}()
	for _, p := range phases {
		if err := p.do(r, ctx); err != nil {
			if p.refuses {
				return nil, refusedIn(ctx, err)
			}
			return nil, r.rollback(ctx, err)
		}
	}
	res = &Result{Changes: steps.Changes, Backups: r.backups, Rechecked: r.rechecked, Applied: true}
	if len(r.stopped) > 0 && !r.startIssued.IsZero() {
		res.Downtime = r.startIssued.Sub(r.stoppedAt)
	}
	r.prune()
	return res, nil
}

// changed are the stores this apply writes.
func (r *run) changed() []*host.StoreStep {
	var out []*host.StoreStep
	for _, s := range r.steps.Stores {
		if s.Change.HasChanges() {
			out = append(out, s)
		}
	}
	return out
}

// prepare stages, before the stop, each changed store's new content, then backs up the
// bytes its diff was computed from. Staging comes first so that a store that cannot be
// written (a full disk, a read-only file system) costs neither downtime nor a backup. A
// store that cannot stage (the registry, a defaults domain) is backed up and written
// after the stop, as it must be read again then.
func (r *run) prepare(ctx context.Context) error {
	collectIfLarge(r.steps)
	var todo []*host.StoreStep
	for _, s := range r.changed() {
		if _, ok := s.Stager(); !ok || s.HasDeferred() {
			continue // a deferred value is fetched after the stop; staged then
		}
		todo = append(todo, s)
	}
	// Each store stages beside itself, independently of the others: its sync waits
	// together with theirs (see parallel.Workers).
	staged := make([]stores.Staged, len(todo))
	errs := make([]error, len(todo))
	parallel.Do(len(todo), func(i int) { staged[i], errs[i] = stageStore(ctx, todo[i]) })
	var failed *multierror.Error
	for i, s := range todo {
		if errs[i] != nil {
			failed = multierror.Append(failed, errs[i])
			continue
		}
		r.staged[s] = staged[i] // discarded by the rollback if another failed
	}
	if err := plan.Gather(failed); err != nil {
		return err
	}
	// The backups must be on disk before the stop, all of them, not each before the next.
	err := r.opts.Backups.Batch(func() error {
		for _, s := range r.changed() {
			if _, ok := s.Stager(); !ok {
				continue
			}
			if err := r.backUp(s, s.Base); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.backups = nil // a failed batch removed what it saved
	}
	return err
}

func (r *run) stage(ctx context.Context, s *host.StoreStep) error {
	if old := r.staged[s]; old != nil {
		_ = old.Discard()
		delete(r.staged, s)
	}
	p, err := stageStore(ctx, s)
	if err != nil {
		return err
	}
	r.staged[s] = p
	return nil
}

// stageStore prepares one store's new content beside it.
func stageStore(ctx context.Context, s *host.StoreStep) (stores.Staged, error) {
	sg, _ := s.Stager()
	p, err := sg.Stage(ctx, s.Base, s.Change.Edits())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Resource.Name, err)
	}
	return p, nil
}

// recheck reads the stores again now that the services are down. Where the bytes are
// what the diff saw, the staged writes stand. Where the server wrote on shutdown, the
// diff is made again on the new bytes, which are backed up and staged in turn.
func (r *run) recheck(ctx context.Context) (moved bool, err error) {
	shown := map[*host.StoreStep][]writeOf{}
	for _, s := range r.steps.Stores {
		shown[s] = writesOf(s.Change)
	}
	again, err := r.steps.Recheck(ctx)
	if err != nil {
		return false, err
	}
	if r.opts.Saved != nil && len(again) > 0 {
		if err := staleError(r.opts.Saved, r.steps.Changes); err != nil {
			return true, err
		}
	}
	// What runs is what was shown and confirmed: the server may rewrite its settings on
	// shutdown (new bytes, a refreshed token, a value already gone: writes that were
	// shown, or fewer), but a write that was not shown is not made.
	for _, s := range again {
		if !subsetOf(writesOf(s.Change), shown[s]) {
			return true, fmt.Errorf("%s: %s changed after the plan was shown (the server wrote other values on its way down), so the writes you confirmed are not the ones needed now; nothing was written. Run apply again to see the new plan", s.Resource.Name, s.Change.Target)
		}
	}
	deferred, err := r.steps.ResolveDeferred(ctx)
	if err != nil {
		return len(again) > 0, err
	}
	if len(deferred) > 0 {
		r.obs.Event(Event{Type: EventExchanged, Message: "Exchanged the claim token at plex.tv for the server's token"})
	}
	for _, s := range append(again, deferred...) {
		if _, ok := s.Stager(); !ok {
			continue
		}
		if !s.Change.HasChanges() {
			if p := r.staged[s]; p != nil {
				_ = p.Discard()
				delete(r.staged, s)
			}
			continue
		}
		if _, backedUp := r.snaps[s]; !backedUp || !sameSnapshot(r.snaps[s], s.Base) {
			if err := r.backUp(s, s.Base); err != nil {
				return true, err
			}
		}
		if err := r.stage(ctx, s); err != nil {
			return true, err
		}
	}
	// Stores that cannot stage are backed up now, from what they hold with the server down.
	for _, s := range r.changed() {
		if _, ok := s.Stager(); ok {
			continue
		}
		snap, err := s.Store.Store.Snapshot(ctx)
		if err != nil {
			return len(again) > 0, fmt.Errorf("%s: %w", s.Resource.Name, err)
		}
		if err := r.backUp(s, snap); err != nil {
			return len(again) > 0, err
		}
	}
	r.journal.mark(stepBackedUp)
	pause(stepBackedUp)
	return len(again) > 0, nil
}

// writeOf is one write a store change makes: what the user confirms. The value before
// it may differ by the time it runs (a token Plex refreshed), and a value fetched during
// apply is not known when it is shown.
type writeOf struct {
	name   string
	action plan.Action
	after  string
}

// subsetOf reports whether every write in now was among those shown.
func subsetOf(now, shown []writeOf) bool {
	for _, w := range now {
		if !slices.Contains(shown, w) {
			return false
		}
	}
	return true
}

func writesOf(rc *plan.ResourceChange) []writeOf {
	var out []writeOf
	for _, v := range rc.Values {
		if v.Action == plan.NoOp {
			continue
		}
		w := writeOf{name: strings.ToLower(v.StoreName), action: v.Action}
		if v.After != nil && !v.Deferred {
			w.after = v.After.Type + ":" + v.After.Text
		}
		out = append(out, w)
	}
	return out
}

// sameSnapshot reports whether two snapshots hold the same bytes with the same owner and mode.
func sameSnapshot(a, b stores.Snapshot) bool {
	return bytes.Equal(a.Data, b.Data) && a.Meta == b.Meta
}

// backUp saves one store's snapshot and remembers it for a rollback.
func (r *run) backUp(s *host.StoreStep, snap stores.Snapshot) error {
	m, err := r.opts.Backups.Save(s.Resource.Name, s.Kind, s.Store.Store.Target(), r.opts.PlanFile, r.opts.Version, snap)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Resource.Name, err)
	}
	// A store backed up again (the server rewrote it on shutdown) keeps one backup: the
	// newer one, which holds what a rollback must put back. (Only then is the list
	// searched: over thousands of stores, a search per store would be quadratic.)
	_, again := r.snaps[s]
	for i, old := range r.backups {
		if again && old.Resource == s.Resource.Name {
			if err := r.opts.Backups.Discard(old); err != nil {
				r.obs.Event(Event{Type: EventWarning, Resource: s.Resource.Name, Message: err.Error()})
			}
			r.backups = append(r.backups[:i], r.backups[i+1:]...)
			break
		}
	}
	r.snaps[s] = snap
	r.backups = append(r.backups, m)
	if r.journal != nil {
		r.journal.backedUp(s, m)
	}
	r.obs.Event(Event{Type: EventBackedUp, Resource: s.Resource.Name, Message: fmt.Sprintf("Backed up %s to %s", s.Store.Store.Target(), r.opts.Backups.BackupPath(m)), Backup: m.ID})
	return nil
}

// stillStopped checks, right before the writes, that every service this apply stopped
// is still down: something else (a supervisor's restart policy, a watchdog, a user) may
// have started it, and a server that runs during the write writes its token back when it
// next stops.
func (r *run) stillStopped(ctx context.Context) error {
	var errs *multierror.Error
	for _, svc := range r.stopped {
		up, err := svc.Running(ctx)
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: cannot tell whether it is still stopped, so nothing was written: %w", svc.Resource.Name, err))
			continue
		}
		if up {
			errs = multierror.Append(errs, fmt.Errorf("%s was started again by something other than plexform while plexform had it stopped, so nothing was written (it would write its old settings back when it next stops); "+
				"make sure nothing restarts it during an apply (a supervisor's restart policy, a watchdog, a container restart policy), then apply again", svc.Resource.Name))
		}
	}
	return plan.Gather(errs)
}

// write puts each changed store's new content in place: a rename of what was staged, or
// a direct write for a store that cannot stage.
func (r *run) write(ctx context.Context) error {
	for _, s := range r.changed() {
		if p := r.staged[s]; p != nil {
			// A failed commit leaves the store as it was, or holding content that is not
			// ours (it then differs from the backup, and the rollback puts the backup back).
			r.written = append(r.written, s)
			if err := p.Commit(ctx); err != nil {
				return fmt.Errorf("%s: %w", s.Resource.Name, err)
			}
			delete(r.staged, s)
			r.committed = append(r.committed, p)
		} else {
			if err := s.Store.Store.Write(ctx, s.Change.Edits()); err != nil {
				// A failed Write leaves its store as it was (the Store contract).
				return fmt.Errorf("%s: %w", s.Resource.Name, err)
			}
			r.written = append(r.written, s)
			after, err := s.Diff(ctx)
			if err != nil {
				return err
			}
			if after.HasChanges() {
				return fmt.Errorf("%s: %s still differs from the plan after the write", s.Resource.Name, s.Change.Target)
			}
		}
		r.journal.written(s)
		pause(stepWritten + ":" + s.Resource.Name)
		r.obs.Event(Event{Type: EventWritten, Resource: s.Resource.Name, Message: fmt.Sprintf("Wrote %s", s.Change.Target)})
	}
	return nil
}

// durable waits for the disk to hold the renames made while the server was down.
func (r *run) durable() error {
	errs := make([]error, len(r.committed))
	parallel.Do(len(r.committed), func(i int) { errs[i] = r.committed[i].Durable() })
	var all *multierror.Error
	for _, err := range errs {
		if err != nil {
			all = multierror.Append(all, err)
		}
	}
	return plan.Gather(all)
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

// serviceStateErrors refuses an apply when a service's state is unknown: stopping
// it for the writes and starting it after would be guesses.
func serviceStateErrors(ch *plan.Changes) error {
	var errs *multierror.Error
	for _, sc := range ch.Services {
		// A service that needs no move (nothing it guards changes) may stay unread.
		if sc.StateError != "" && sc.Action != plan.Leave {
			errs = multierror.Append(errs, fmt.Errorf("%s: cannot read its state, so plexform cannot stop it safely before the write; nothing was changed: %s", sc.Address, sc.StateError))
		}
	}
	return plan.Gather(errs)
}

// checkWritable asks each changed store whether this process can write it (and if not,
// who can) before any service is stopped. A store that stages is then also tested for
// real by staging its content beside itself, still before the stop.
func (r *run) checkWritable(ctx context.Context) error {
	var errs *multierror.Error
	staged := 0
	for _, s := range r.changed() {
		if err := s.Store.Store.CheckWritable(ctx); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: %w", s.Resource.Name, err))
		}
		if _, ok := s.Stager(); ok {
			staged++
		}
	}
	if err := checkOpenFiles(staged, openFilesLimit()); err != nil {
		errs = multierror.Append(errs, err)
	}
	return plan.Gather(errs)
}

// IsFailure unwraps a *Failure.
func IsFailure(err error) (*Failure, bool) {
	var f *Failure
	ok := errors.As(err, &f)
	return f, ok
}

// largeRead is how much stores' bytes make an apply hand its garbage back before staging.
const largeRead = 16 << 20

// collectIfLarge, when the stores read are large, collects the garbage before staging
// and returns the freed memory to the system. Reading a store decodes all its values (a
// 50 MB Preferences.xml is mostly attribute values, many of which must be unescaped into
// copies); once diffed they are garbage, but spread over small pages that the one large
// buffer staging allocates for the new content cannot reuse, so without this the peak
// would be the file's bytes, its values and the new content together. It costs a few
// milliseconds, before any service is stopped.
func collectIfLarge(steps *host.Steps) {
	total := 0
	for _, s := range steps.Stores {
		total += len(s.Base.Data)
	}
	if total >= largeRead {
		debug.FreeOSMemory()
	}
}
