package xmlattrs

import (
	"context"
	"fmt"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

var _ stores.Stager = (*File)(nil)

// Load reads the file once: its attributes and the exact bytes they came from.
func (f *File) Load(context.Context) (stores.State, stores.Snapshot, error) {
	raw, meta, exists, err := fileutil.ReadWithMeta(f.path)
	if err != nil || !exists {
		return stores.State{}, stores.Snapshot{}, err
	}
	doc, err := parseDocument(raw, f.element, f.root)
	if err != nil {
		return stores.State{}, stores.Snapshot{}, fmt.Errorf("read %s: %w; the file was left alone", f.path, err)
	}
	values := make(map[string]stores.Value, len(doc.values))
	for k, v := range doc.values {
		values[k] = stores.Value{Text: v}
	}
	return stores.State{Exists: true, Values: values}, stores.Snapshot{Ext: "xml", Data: raw, Meta: meta}, nil
}

// Stage edits base's bytes and prepares the result beside the file.
func (f *File) Stage(_ context.Context, base stores.Snapshot, edits []stores.Edit) (stores.Staged, error) {
	if base.Data == nil {
		if stores.OnlyRemovals(edits) {
			return stores.NothingStaged{}, nil // nothing to remove from a file that is not there
		}
		return nil, fmt.Errorf("write %s: the file does not exist; plexform edits an existing Preferences.xml and does not create one (start Plex once to make it)", f.path)
	}
	doc, err := parseDocument(base.Data, f.element, f.root)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w; the file was left alone", f.path, err)
	}
	out, err := doc.edited(edits)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", f.path, err)
	}
	p, err := fileutil.Stage(f.path, out, base.Meta)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Unchanged compares the file's bytes with base's.
func (f *File) Unchanged(_ context.Context, base stores.Snapshot) (bool, error) {
	return fileutil.SameContent(f.path, base.Data)
}
