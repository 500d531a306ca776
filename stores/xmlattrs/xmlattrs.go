// Package xmlattrs is the xml_attributes store: the attributes of one element of an XML
// file, such as the root <Preferences .../> of Plex's Preferences.xml on Linux.
//
// A plain parse-and-serialize round trip rewrites the declaration, quotes, escapes and
// line ends; this store instead rewrites only the bytes of the attributes a plan
// changes, so a diff of the file before and after shows exactly the plan.
//
// A hostile file is refused before any tree is built: elements nest at most
// parselimit.MaxDepth (512) deep, entities declared in a DTD are never expanded (an
// undeclared entity is a syntax error), and parse errors name a line and column, never
// the file's text (internal/parselimit).
package xmlattrs

import (
	"context"
	"fmt"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// File is the xml_attributes store for one file and element.
type File struct {
	fs      fileutil.Root // where path resolves: this machine, or inside -root
	path    string
	element string
	root    string // the root element's required name; empty: any
	last    lastLoad
}

// Option changes how New's store reads its file.
type Option func(*File)

// RequireRoot makes the store refuse a file whose root element is not named name (as
// written, prefix included): Read, Load, Write, Stage and Restore then fail with an
// error wrapping both stores.ErrMalformed and ErrWrongRoot, and the file is left alone.
// The Plex kinds use RequireRoot("Preferences"), so a path that leads to some other XML
// file is never edited as if it were Plex's settings.
func RequireRoot(name string) Option { return func(f *File) { f.root = name } }

// In makes the store's path resolve inside root (-root), symlinks included; without it
// the path is this machine's.
func In(root fileutil.Root) Option { return func(f *File) { f.fs = root } }

// New returns the store for the element selected by element (an etree path such as
// "/Preferences"; empty means the root) in the XML file at path.
func New(path, element string, opts ...Option) *File {
	f := &File{path: path, element: element}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Target is the file's path.
func (f *File) Target() string { return f.path }

// Read returns the element's attributes. A missing file is an empty store.
func (f *File) Read(ctx context.Context) (stores.State, error) {
	st, _, err := f.Load(ctx)
	return st, err
}

// CheckWritable tells whether this process can rewrite the file keeping its owner.
func (f *File) CheckWritable(context.Context) error { return f.fs.CheckWritable(f.path) }

// Write applies the edits to the file as it is now and replaces it atomically: Load,
// then Stage and commit.
func (f *File) Write(ctx context.Context, edits []stores.Edit) error {
	return stores.WriteStaged(ctx, f, edits)
}

// Snapshot is a byte-exact copy of the file with its owner and mode.
func (f *File) Snapshot(context.Context) (stores.Snapshot, error) {
	return f.fs.Snapshot(f.path, "xml")
}

// Restore puts the snapshot's bytes back with the owner and mode it recorded (see
// fileutil.Root.Restore). A snapshot that is not well-formed XML, or with RequireRoot
// has another root element, is refused.
func (f *File) Restore(_ context.Context, s stores.Snapshot) error {
	return f.fs.Restore(f.path, s, f.CheckSnapshot)
}

// CheckSnapshot parses the snapshot as Read would parse the file (its element aside:
// the file is restored whole).
func (f *File) CheckSnapshot(s stores.Snapshot) error {
	if _, err := parseDocument(s.Data, "", f.root); err != nil {
		return fmt.Errorf("the backup: %w", err)
	}
	return nil
}
