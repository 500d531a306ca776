package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/plexform/plexform/host"
)

// The journal is how a run cut short (SIGKILL, a power cut, a crash) is found and undone.
// An apply writes it before its first change, beside the backups (0600), updates it at
// each step, and removes it when it ends, applied or fully rolled back. A plan, apply or
// restore that finds one refuses and names `plexform recover`, which puts back the
// backups the journal lists and the services' states, then removes it.
//
// Recover does not trust the journal's step: it compares each store with its backup and
// each service with the state it had. The steps are there for people reading it.
const journalFile = "journal.json"

// journalMax bounds what is read back: the journal lies in a directory other processes
// may reach, and is decoded only within this size.
const journalMax = 1 << 20

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

// Journal is the record of one run in progress.
type Journal struct {
	Format   int              `json:"format"`
	PID      int              `json:"pid"`
	Started  time.Time        `json:"started"`
	Plan     string           `json:"plan"`
	Root     string           `json:"root,omitempty"`
	Step     string           `json:"step"`
	Failure  string           `json:"failure,omitempty"`
	Services []JournalService `json:"services"`
	Stores   []JournalStore   `json:"stores"`
	// InFlight is each service command running as the journal was written (inflight.go).
	InFlight []JournalCommand `json:"in_flight,omitempty"`
}

// JournalService is a service the run moves, with the state it must go back to.
type JournalService struct {
	Resource   string `json:"resource"`
	WasRunning bool   `json:"was_running"`
}

// JournalStore is a store the run writes: its backup, and the file staged beside it.
type JournalStore struct {
	Resource string `json:"resource"`
	Target   string `json:"target"`
	Backup   string `json:"backup,omitempty"`
	Staged   string `json:"staged,omitempty"`
	Written  bool   `json:"written,omitempty"`
}

// journal writes a Journal as the run goes. A nil *journal records nothing (restore's
// runs, and an apply before it has one).
type journal struct {
	backups *Backups
	j       Journal
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
	j := &journal{backups: opts.Backups, obs: r.obs, at: map[string]int{}, j: Journal{
		Format: 1, PID: os.Getpid(), Started: time.Now().UTC(), Plan: opts.PlanFile, Root: opts.Root,
	}}
	backup := make(map[string]string, len(r.backups))
	for _, m := range r.backups {
		backup[m.Resource] = m.ID
	}
	for _, s := range r.changed() {
		js := JournalStore{Resource: s.Resource.Name, Target: s.Store.Store.Target(), Backup: backup[s.Resource.Name]}
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
	data, err := json.MarshalIndent(j.j, "", "  ")
	if err != nil {
		return err
	}
	write := j.backups.WriteFileUnsynced
	if sync {
		write = j.backups.WriteFile
	}
	if err := write(journalFile, append(data, '\n')); err != nil {
		return fmt.Errorf("write the journal %s: %w", filepath.Join(j.backups.Dir, journalFile), err)
	}
	return nil
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
	j.j.Services = append(j.j.Services, JournalService{Resource: svc.Resource.Name, WasRunning: wasUp})
	if err := j.save(j.j.Step, false); err != nil {
		// Not recorded, so not moved: the journal in memory says what is on disk.
		j.j.Services = j.j.Services[:len(j.j.Services)-1]
		return fmt.Errorf("record in the journal that %s is about to be moved: %w", svc.Resource.Name, err)
	}
	return nil
}

func (j *journal) backedUp(s *host.StoreStep, m *Manifest) {
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
	j.j.Stores = append(j.j.Stores, JournalStore{Resource: s.Resource.Name, Target: s.Store.Store.Target(), Backup: m.ID})
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
	if err := j.backups.RemoveFile(journalFile); err != nil {
		return fmt.Errorf("remove the journal %s: %w", filepath.Join(j.backups.Dir, journalFile), err)
	}
	return nil
}

// ErrUnfinished means an earlier run was cut short; `plexform recover` undoes it.
var ErrUnfinished = errors.New("an earlier run was cut short")

// readJournal reads the journal of a run cut short; nil when there is none. It is read as
// untrusted input: bounded, strictly decoded, and its names checked before any use.
func readJournal(b *Backups) (*Journal, error) {
	path := filepath.Join(b.Dir, journalFile)
	data, err := b.ReadFile(journalFile, journalMax)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the journal: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j Journal
	if err := dec.Decode(&j); err != nil || j.Format != 1 {
		return nil, fmt.Errorf("the journal %s is damaged (not one plexform writes); move it away and check the host by hand", path)
	}
	for _, s := range j.Stores {
		if s.Backup != "" && !validBackupID(s.Backup) {
			return nil, fmt.Errorf("the journal %s names a backup that is not one of ours; move it away and check the host by hand", path)
		}
	}
	for _, c := range j.InFlight {
		if c.PID < 0 || c.PGID < 0 || c.PID == 0 && c.Mark == "" || !validMark(c.Mark) {
			return nil, fmt.Errorf("the journal %s names a service command plexform cannot have run; move it away and check the host by hand", path)
		}
	}
	return &j, nil
}

// validBackupID accepts the ids Save makes: a plain name, no path.
func validBackupID(id string) bool {
	return id != "" && id == filepath.Base(id) && id != "." && id != ".." && !bytes.ContainsAny([]byte(id), `/\`)
}

// refuseUnfinished refuses to go on while a journal of a run cut short is there.
func refuseUnfinished(b *Backups) error {
	j, err := readJournal(b)
	if err != nil {
		return err
	}
	if j == nil {
		return nil
	}
	return fmt.Errorf("%w: an apply (pid %d, started %s) stopped at step %q without finishing, and the host may be half changed; "+
		"run `plexform recover` (with the same -f and -root) to put it back as it was before that run, then try again: %s",
		ErrUnfinished, j.PID, j.Started.Format(time.RFC3339), j.Step, filepath.Join(b.Dir, journalFile))
}

// CheckUnfinished is refuseUnfinished for commands that only read (plan).
func CheckUnfinished(b *Backups) error { return refuseUnfinished(b) }
