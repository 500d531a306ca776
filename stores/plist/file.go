// Package plist is the plist_keys store: top-level keys of a property list, either a
// file edited directly (File, any OS) or a macOS defaults domain edited through the
// defaults command (Domain), which is what Plex on macOS needs because cfprefsd caches
// the domain and writes its cached copy back over a file changed behind its back.
//
// Every plist is measured before howett.net/plist parses it (limits.go): dictionaries
// and arrays nest at most parselimit.MaxDepth (512) deep in every form, and a binary
// plist, whose objects may be shared by many references, expands to at most
// parselimit.MaxExpandedObjects (1,048,576) values and parselimit.MaxExpandedBytes
// (64 MiB) of strings and data, each shared object counted at every reference. Parse
// errors name a position or byte offset and never quote the file.
package plist

import (
	"context"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// File is a plist file (binary, XML, OpenStep or GNUstep) edited in place. A rewrite
// keeps the file's format, owner, group and mode, and the exact type and value of every
// key it does not change. Binary and text plists are re-encoded whole (key order inside
// dictionaries may change; values do not); XML plists are edited as text, so untouched
// keys keep their bytes.
type File struct {
	root fileutil.Root
	path string
}

var _ stores.Store = (*File)(nil)

// NewFile returns the store for the plist at path on this machine.
func NewFile(path string) *File { return NewFileIn(fileutil.Root{}, path) }

// NewFileIn is NewFile for a path that resolves inside root (-root).
func NewFileIn(root fileutil.Root, path string) *File { return &File{root: root, path: path} }

// Target is the file's path.
func (f *File) Target() string { return f.path }

// Read returns the file's top-level keys.
func (f *File) Read(ctx context.Context) (stores.State, error) {
	st, _, err := f.Load(ctx)
	return st, err
}

// CheckWritable tells whether this process can replace the file keeping its owner.
func (f *File) CheckWritable(ctx context.Context) error {
	return f.root.CheckWritable(f.path)
}

// Write applies the edits and rewrites the file atomically, or leaves it alone when the
// edits change nothing (so a second apply does not even touch the mtime): Load, then
// Stage and commit.
func (f *File) Write(ctx context.Context, edits []stores.Edit) error {
	return stores.WriteStaged(ctx, f, edits)
}

// Snapshot returns the file's exact bytes.
func (f *File) Snapshot(context.Context) (stores.Snapshot, error) {
	return f.root.Snapshot(f.path, "plist")
}

// CheckSnapshot parses the snapshot as Read would parse the file.
func (f *File) CheckSnapshot(s stores.Snapshot) error { return checkPlistSnapshot(s) }

// Restore puts a snapshot's bytes back with the owner, group and mode it recorded. A
// snapshot without metadata (made by hand) takes the current file's, or 0600 and the
// caller's ownership when there is no file (fileutil.Root.Restore).
func (f *File) Restore(_ context.Context, s stores.Snapshot) error {
	return f.root.Restore(f.path, s, f.CheckSnapshot)
}
