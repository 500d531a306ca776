// Package stores holds what every kind of store and service shares: the interfaces the
// executor drives and the small value types that cross them. Each kind lives in its own
// package below this one (stores/xmlattrs, stores/plist, stores/registry, stores/service).
package stores

import (
	"context"
	"errors"
)

// Value is one named setting as a store holds it.
//
// Text is the value in plain text (an XML attribute unescaped, a plist string, registry
// data rendered as regedit shows it). Type is empty for stores that only hold strings;
// typed stores use their own type names ("integer", "REG_DWORD", ...) so a diff can tell
// "1" the string from 1 the integer.
type Value struct {
	Type string `json:"type,omitempty"`
	Text string `json:"text"`
}

// Equal reports whether two values are the same setting.
func (v Value) Equal(o Value) bool { return v.Type == o.Type && v.Text == o.Text }

// State is what a store holds right now.
type State struct {
	// Exists is false when the file, key or domain is not there at all.
	Exists bool
	// Values holds every value present, under the name the store spells it with.
	Values map[string]Value
}

// Edit is one change to a store. Name is spelled as the store spells it (for a value
// that exists) or as the plan spells it (for a new one).
type Edit struct {
	Name   string
	Remove bool
	Value  Value // the new value when Remove is false
}

// Snapshot is a store's whole content in its own native format, enough to put it back
// byte for byte: a copy of an XML or plist file, or a .reg export of a registry key.
type Snapshot struct {
	// Ext is the file extension a user would expect for Data: "xml", "plist", "reg".
	Ext  string
	Data []byte
	// Meta is filled for file stores; registry snapshots leave it zero.
	Meta FileMeta
}

// FileMeta is what must survive a rewrite of a file besides its bytes.
type FileMeta struct {
	Path string `json:"path,omitempty"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	Mode uint32 `json:"mode"` // permission bits (and setuid/setgid/sticky), as os.FileMode
}

// Store is anything that holds named values: attributes of one XML element, top-level
// keys of a plist, values of a registry key.
//
// Every method leaves the store as it was when it fails. Content that cannot be parsed,
// or that is over the parse limits (internal/parselimit: nesting, expansion), is an
// error wrapping ErrMalformed that names a line and column or a byte offset and never
// quotes the content, which may hold a token. Every kind passes the conformance suite in
// stores/storetest.
type Store interface {
	// Target names the store for humans and manifests: a file path or a registry key.
	Target() string
	// Read returns the current values. A store that does not exist reads as
	// State{Exists: false} with no error.
	Read(ctx context.Context) (State, error)
	// CheckWritable tells, before any service is stopped, whether this process can write
	// the store, and if not, who can.
	CheckWritable(ctx context.Context) error
	// Write applies the edits atomically and touches nothing else: owner, group, mode
	// and every value not named stay as they were. Names are as the store spells them
	// (plan.Diff gives one removal per spelling present). Edits that only remove values
	// do nothing to a store that does not exist; a value the store cannot hold fails the
	// whole Write before anything changes. No value is ever passed to another process
	// on its command line.
	Write(ctx context.Context, edits []Edit) error
	// Snapshot returns the whole store in its native format, for a backup.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Restore puts a snapshot back atomically, owner and mode included. A snapshot that
	// CheckSnapshot refuses is refused, and the store left alone.
	Restore(ctx context.Context, s Snapshot) error
	// CheckSnapshot tells, touching nothing, whether Restore would accept the snapshot:
	// that its bytes parse as this store's format (a backup copy is only a file in a
	// directory, and may be damaged). A restore checks before it stops the server.
	// Failures wrap ErrMalformed and never quote the bytes.
	CheckSnapshot(s Snapshot) error
}

// Service is something with a running/stopped state that guards stores: it must be
// stopped while they change, because it rewrites them on shutdown.
type Service interface {
	// Describe names the service and how it is managed: "s6 /run/service/svc-plex".
	Describe() string
	// Running reports the current state; it must not block for long.
	Running(ctx context.Context) (bool, error)
	// Stop asks the service to stop. It may return before the service is down; the
	// executor polls Running until it is.
	Stop(ctx context.Context) error
	// Start asks the service to start; the executor polls Running until it is up.
	Start(ctx context.Context) error
}

// ErrMalformed marks a store whose content cannot be parsed, or is over the parse
// limits; the store is left alone.
var ErrMalformed = errors.New("malformed")

// Stager is a store that can do the slow part of a write before its service stops: Load
// reads it once, giving both its values and the exact bytes they came from, and Stage
// builds the new content from those bytes into a synced file beside the store. While the
// service is down only a byte comparison and a rename remain, so the downtime is the
// rename's, whatever the file's size.
type Stager interface {
	Store
	// Load reads the store once. base holds the bytes and metadata State was parsed
	// from; a store that does not exist gives State{Exists: false} and an empty base.
	Load(ctx context.Context) (st State, base Snapshot, err error)
	// Stage applies edits to base (not to the store as it is now) and prepares the
	// result beside the store. It leaves the store itself untouched.
	Stage(ctx context.Context, base Snapshot, edits []Edit) (Staged, error)
	// Unchanged reports whether the store still holds exactly base, comparing bytes
	// without parsing them.
	Unchanged(ctx context.Context, base Snapshot) (bool, error)
}

// Staged is a prepared write: Commit puts it in place atomically, Discard removes it.
// Exactly one of the two is called.
type Staged interface {
	// Commit replaces the store with the staged content, then checks by comparing
	// bytes that the store holds exactly that content. The replacement is atomic but
	// may not be on disk yet: Durable makes it so.
	Commit(ctx context.Context) error
	// Durable waits until a committed replacement survives a power cut. It is separate
	// so that the disk's flush falls after the service is started again, not into its
	// downtime; until then a crash leaves the old content or the new, never a mix.
	Durable() error
	Discard() error
	// Temp is the staged file's path, so a run cut short can name what it left.
	Temp() string
}

// NothingStaged is a staged write with nothing to do (removing values a missing file
// does not have): committing it leaves the store alone.
type NothingStaged struct{}

func (NothingStaged) Commit(context.Context) error { return nil }
func (NothingStaged) Durable() error               { return nil }
func (NothingStaged) Discard() error               { return nil }
func (NothingStaged) Temp() string                 { return "" }

// OnlyRemovals tells whether edits only remove values: nothing to do on a store that is
// not there.
func OnlyRemovals(edits []Edit) bool {
	for _, e := range edits {
		if !e.Remove {
			return false
		}
	}
	return true
}

// WriteStaged is Store.Write for a Stager: Load, Stage the edits on what was loaded,
// Commit and make it Durable. A Stager's Write is this, so that a write on its own and
// a write staged before its service stops take one path.
func WriteStaged(ctx context.Context, s Stager, edits []Edit) error {
	_, base, err := s.Load(ctx)
	if err != nil {
		return err
	}
	st, err := s.Stage(ctx, base, edits)
	if err != nil {
		return err
	}
	if err := st.Commit(ctx); err != nil {
		return err
	}
	return st.Durable()
}
