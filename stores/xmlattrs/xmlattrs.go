// Package xmlattrs is the xml_attributes store: the attributes of one element of an XML
// file, such as the root <Preferences .../> of Plex's Preferences.xml on Linux.
//
// A plain parse-and-serialize round trip rewrites the declaration, quotes, escapes and
// line ends; this store instead rewrites only the bytes of the attributes a plan
// changes, so a diff of the file before and after shows exactly the plan.
package xmlattrs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// File is the xml_attributes store for one file and element.
type File struct {
	path    string
	element string
	root    string // the root element's required name; empty: any
}

// Option changes how New's store reads its file.
type Option func(*File)

// RequireRoot makes the store refuse a file whose root element is not named name (as
// written, prefix included): Read, Write and Restore then fail with an error wrapping
// both stores.ErrMalformed and ErrWrongRoot, and the file is left alone. The Plex kinds
// use RequireRoot("Preferences"), so a path that leads to some other XML file is never
// edited as if it were Plex's settings.
func RequireRoot(name string) Option { return func(f *File) { f.root = name } }

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
func (f *File) Read(context.Context) (stores.State, error) {
	doc, exists, err := f.load()
	if err != nil || !exists {
		return stores.State{}, err
	}
	values := make(map[string]stores.Value, len(doc.values))
	for k, v := range doc.values {
		values[k] = stores.Value{Text: v}
	}
	return stores.State{Exists: true, Values: values}, nil
}

func (f *File) load() (*document, bool, error) {
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", f.path, err)
	}
	doc, err := parseDocument(raw, f.element, f.root)
	if err != nil {
		return nil, true, fmt.Errorf("read %s: %w; the file was left alone", f.path, err)
	}
	return doc, true, nil
}

// CheckWritable tells whether this process can rewrite the file keeping its owner.
func (f *File) CheckWritable(context.Context) error { return fileutil.CheckWritable(f.path) }

// Write applies the edits to the file as it is now and replaces it atomically.
func (f *File) Write(_ context.Context, edits []stores.Edit) error {
	meta, exists, err := fileutil.Stat(f.path)
	if err != nil {
		return err
	}
	if !exists {
		if onlyRemovals(edits) {
			return nil // nothing to remove from a file that is not there
		}
		return fmt.Errorf("write %s: the file does not exist; plexform edits an existing Preferences.xml and does not create one (start Plex once to make it)", f.path)
	}
	doc, _, err := f.load()
	if err != nil {
		return err
	}
	out, err := doc.edited(edits)
	if err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return fileutil.WriteAtomic(f.path, out, meta)
}

func onlyRemovals(edits []stores.Edit) bool {
	for _, e := range edits {
		if !e.Remove {
			return false
		}
	}
	return true
}

// Snapshot is a byte-exact copy of the file with its owner and mode.
func (f *File) Snapshot(context.Context) (stores.Snapshot, error) {
	meta, exists, err := fileutil.Stat(f.path)
	if err != nil {
		return stores.Snapshot{}, err
	}
	if !exists {
		return stores.Snapshot{}, fmt.Errorf("back up %s: the file does not exist", f.path)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return stores.Snapshot{}, fmt.Errorf("back up %s: %w", f.path, err)
	}
	return stores.Snapshot{Ext: "xml", Data: data, Meta: meta}, nil
}

// Restore puts the snapshot's bytes back with the owner and mode it recorded. With
// RequireRoot, a snapshot whose root element is another one is refused.
func (f *File) Restore(_ context.Context, s stores.Snapshot) error {
	if f.root != "" {
		if _, err := parseDocument(s.Data, "", f.root); err != nil {
			return fmt.Errorf("restore %s: the backup: %w; the file was left alone", f.path, err)
		}
	}
	return fileutil.WriteAtomic(f.path, s.Data, s.Meta)
}
