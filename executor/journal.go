package executor

import (
	"fmt"
	"os"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/state"
)

// An apply records each step in the journal (state.Journal, a file beside the backups),
// so that a run cut short is found and undone by `plexform recover`.

// Steps an apply records, in order.
const (
	stepPrepared    = "prepared"  // backed up and staged, nothing changed yet
	stepStopped     = "stopped"   // the services are down
	stepBackedUp    = "backed-up" // every changed store has its backup
	stepWritten     = "written"   // a store was written (one step per store)
	stepStarted     = "started"   // the services were started
	stepVerified    = "verified"  // the checks passed
	stepRollingBack = "rolling-back"
)

// journal writes a state.Journal as the run goes. A nil *journal records nothing
// (restore's runs, and an apply before it has one).
type journal struct {
	backups *state.Dir
	j       state.Journal
	obs     Observer
	// dirty is true when something recover uses (a store's backup) changed since the
	// last write.
	dirty bool
	// at is each store's position in j.Stores, by resource name.
	at map[string]int
	// begun counts the service commands recorded and run (commandTracker.Began).
	begun int
}

func newJournal(opts Options, steps *host.Steps, r *run) *journal {
	j := &journal{backups: opts.Backups, obs: r.obs, at: map[string]int{}, j: state.Journal{
		Format: state.JournalFormat, PID: os.Getpid(), Started: time.Now().UTC(), Plan: opts.PlanFile, Root: opts.Root,
	}}
	backup := make(map[string]string, len(r.backups))
	for _, m := range r.backups {
		backup[m.Resource] = m.ID
	}
	for _, s := range r.changed() {
		js := state.JournalStore{Resource: s.Resource.Name, Target: s.Store.Store.Target(), Backup: backup[s.Resource.Name]}
		if p := r.staged[s]; p != nil {
			js.Staged = p.Temp()
		}
		j.at[js.Resource] = len(j.j.Stores)
		j.j.Stores = append(j.j.Stores, js)
	}
	return j
}

// save writes the journal; sync makes it durable (the first write, before any change),
// and returns the error either way. What recover acts on (the services the run moves,
// the commands in flight: moving, commandTracker.Began) must be on disk before the
// change it guards, so those callers stop the run on an error; a write that only says
// how far the run got (step) is not worth a rollback, and warns instead.
func (j *journal) save(step string, sync bool) error {
	if j == nil {
		return nil
	}
	j.j.Step = step
	j.dirty = false
	return j.backups.WriteJournal(&j.j, sync)
}

// step records how far the run got; a failure to write it is a warning.
func (j *journal) step(step string) { j.warn(j.save(step, false)) }

// warn reports a failed write of the journal that the run goes on after.
func (j *journal) warn(err error) {
	if err != nil && j.obs != nil {
		j.obs.Event(Event{Type: EventWarning, Message: "could not update the journal: " + err.Error()})
	}
}

// mark records a step while Plex is down. Recover does not read the step, only what the
// journal names (the backups, the staged files, the services' states), so a mark that
// changes nothing recover uses is kept in memory and written with the next write, at
// the latest the "started" one: each write replaces a file, which costs the downtime
// about a millisecond on ext4 even unsynced. When a store was backed up again while the
// server was down, the journal must name the new backup before the rename, so the mark
// is written at once.
func (j *journal) mark(step string) {
	if j == nil {
		return
	}
	if j.dirty {
		j.step(step)
		return
	}
	j.j.Step = step
}

// last is the last step recorded, for messages.
func (j *journal) last() string {
	if j == nil {
		return "before " + stepPrepared
	}
	return j.j.Step
}

// moving records, before the run moves svc, the state it must go back to. Recover puts
// back only the services the journal names, so the error is returned and the service
// must not be moved: one stopped unrecorded would stay down after a recover.
func (j *journal) moving(svc *host.ServiceStep, wasUp bool) error {
	if j == nil {
		return nil
	}
	for _, s := range j.j.Services {
		if s.Resource == svc.Resource.Name {
			return nil
		}
	}
	j.j.Services = append(j.j.Services, state.JournalService{Resource: svc.Resource.Name, WasRunning: wasUp})
	if err := j.save(j.j.Step, false); err != nil {
		// Not recorded, so not moved: the journal in memory says what is on disk.
		j.j.Services = j.j.Services[:len(j.j.Services)-1]
		return fmt.Errorf("record in the journal that %s is about to be moved: %w", svc.Resource.Name, err)
	}
	return nil
}

func (j *journal) backedUp(s *host.StoreStep, m *state.Manifest) {
	if j == nil {
		return
	}
	j.dirty = true
	if i, ok := j.at[s.Resource.Name]; ok {
		// A store the server rewrote on shutdown is backed up again: the newest backup
		// holds what it held before this run's write.
		j.j.Stores[i].Backup = m.ID
		return
	}
	j.at[s.Resource.Name] = len(j.j.Stores)
	j.j.Stores = append(j.j.Stores, state.JournalStore{Resource: s.Resource.Name, Target: s.Store.Store.Target(), Backup: m.ID})
}

func (j *journal) written(s *host.StoreStep) {
	if j == nil {
		return
	}
	if i, ok := j.at[s.Resource.Name]; ok {
		j.j.Stores[i].Written, j.j.Stores[i].Staged = true, ""
	}
	// A staged file gone by its rename needs no removal (recover ignores a missing one),
	// and a written store differs from its backup, which recover sees for itself.
	j.mark(stepWritten)
}

func (j *journal) rollingBack(cause error) {
	if j == nil {
		return
	}
	j.j.Failure = firstLine(cause.Error())
	j.step(stepRollingBack)
}

// finish removes the journal: the run ended with the host in a known state.
func (j *journal) finish() error {
	if j == nil {
		return nil
	}
	return j.backups.RemoveJournal()
}
