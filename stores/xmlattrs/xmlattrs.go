// Package xmlattrs is the xml_attributes store: the attributes of one element of an XML
// file, such as the root <Preferences .../> of Plex's Preferences.xml on Linux.
//
// A plain parse-and-serialize round trip rewrites the declaration, quotes, escapes and
// line ends; this store instead rewrites only the bytes of the attributes a plan
// changes, so a diff of the file before and after shows exactly the plan.
package xmlattrs

import (
	"context"
	"fmt"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// File is the xml_attributes store for one file and element.
type File struct {
	path    string
	element string
}

// New returns the store for the element selected by element (an etree path such as
// "/Preferences"; empty means the root) in the XML file at path.
func New(path, element string) *File { return &File{path: path, element: element} }

// Target is the file's path.
func (f *File) Target() string { return f.path }

// Read returns the element's attributes. A missing file is an empty store.
func (f *File) Read(ctx context.Context) (stores.State, error) {
	st, _, err := f.Load(ctx)
	return st, err
}

// CheckWritable tells whether this process can rewrite the file keeping its owner.
func (f *File) CheckWritable(context.Context) error { return fileutil.CheckWritable(f.path) }

// Write applies the edits to the file as it is now and replaces it atomically.
func (f *File) Write(ctx context.Context, edits []stores.Edit) error {
	_, base, err := f.Load(ctx)
	if err != nil {
		return err
	}
	st, err := f.Stage(ctx, base, edits)
	if err != nil {
		return err
	}
	return st.Commit(ctx)
}

// Snapshot is a byte-exact copy of the file with its owner and mode.
func (f *File) Snapshot(context.Context) (stores.Snapshot, error) {
	data, meta, exists, err := fileutil.ReadWithMeta(f.path)
	if err != nil {
		return stores.Snapshot{}, fmt.Errorf("back up %s: %w", f.path, err)
	}
	if !exists {
		return stores.Snapshot{}, fmt.Errorf("back up %s: the file does not exist", f.path)
	}
	return stores.Snapshot{Ext: "xml", Data: data, Meta: meta}, nil
}

// Restore puts the snapshot's bytes back with the owner and mode it recorded.
func (f *File) Restore(_ context.Context, s stores.Snapshot) error {
	return fileutil.WriteAtomic(f.path, s.Data, s.Meta)
}
