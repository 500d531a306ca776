package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// The journal is how a run cut short (SIGKILL, a power cut, a crash) is found and undone.
// An apply writes it before its first change, beside the backups (0600), updates it at
// each step, and removes it when it ends, applied or fully rolled back. A plan, apply or
// restore that finds one refuses and names `plexform recover`, which puts back the
// backups the journal lists and the services' states, then removes it.
//
// Recover does not trust the journal's step: it compares each store with its backup and
// each service with the state it had. The steps are there for people reading it. This
// file is the journal as a file (its format, and how it is written and read back); what
// a run records in it and what recover does with it are the executor's.
const journalFile = "journal.json"

// journalMax bounds what is read back: the journal lies in a directory other processes
// may reach, and is decoded only within this size.
const journalMax = 1 << 20

// JournalFormat is the format of the journals this plexform writes and reads.
const JournalFormat = 1

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
	// InFlight is each service command running as the journal was written.
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

// JournalCommand is a service command that was running when the journal was written. A
// service command outlives a run killed while it runs (its children, a systemd job), so
// recover must know of each to make sure none is left before it reads a service's state.
type JournalCommand struct {
	// Mark is in the command's environment and its children's (service.MarkVar).
	Mark    string    `json:"mark"`
	Service string    `json:"service"`
	Manager string    `json:"manager"`
	Action  string    `json:"action"`
	PID     int       `json:"pid,omitempty"` // 0: killed before it had started
	PGID    int       `json:"pgid,omitempty"`
	Started time.Time `json:"started"`
	// StartID is the process's start as the kernel tells it (service.Process), so that
	// a pid used again since is not taken for it.
	StartID uint64 `json:"start_id,omitempty"`
}

// JournalPath is where the journal is, for messages.
func (b *Dir) JournalPath() string { return filepath.Join(b.Path, journalFile) }

// WriteJournal replaces the journal with j; sync makes it durable (the first write of a
// run, before any change). Unsynced, it is still atomic, but a power cut may undo it.
func (b *Dir) WriteJournal(j *Journal, sync bool) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	write := b.WriteFileUnsynced
	if sync {
		write = b.WriteFile
	}
	if err := write(journalFile, append(data, '\n')); err != nil {
		return fmt.Errorf("write the journal %s: %w", b.JournalPath(), err)
	}
	return nil
}

// RemoveJournal removes the journal: the run ended with the host in a known state.
func (b *Dir) RemoveJournal() error {
	if err := b.RemoveFile(journalFile); err != nil {
		return fmt.Errorf("remove the journal %s: %w", b.JournalPath(), err)
	}
	return nil
}

// ErrUnfinished means an earlier run was cut short; `plexform recover` undoes it.
var ErrUnfinished = errors.New("an earlier run was cut short")

// ReadJournal reads the journal of a run cut short; nil when there is none. It is read as
// untrusted input: bounded, strictly decoded, and its names checked before any use.
func (b *Dir) ReadJournal() (*Journal, error) {
	path := b.JournalPath()
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
	if err := dec.Decode(&j); err != nil || j.Format != JournalFormat {
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

// validMark accepts the marks service.Process carries: lowercase hex, at most 64.
func validMark(m string) bool {
	return len(m) <= 64 && strings.Trim(m, "0123456789abcdef") == ""
}

// CheckUnfinished refuses to go on while a journal of a run cut short is there: a plan,
// apply or restore then names `plexform recover`.
func (b *Dir) CheckUnfinished() error {
	j, err := b.ReadJournal()
	if err != nil {
		return err
	}
	if j == nil {
		return nil
	}
	return fmt.Errorf("%w: an apply (pid %d, started %s) stopped at step %q without finishing, and the host may be half changed; "+
		"run `plexform recover` (with the same -f and -root) to put it back as it was before that run, then try again: %s",
		ErrUnfinished, j.PID, j.Started.Format(time.RFC3339), j.Step, b.JournalPath())
}
