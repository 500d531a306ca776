package plist

import (
	"context"
	"fmt"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

var _ stores.Stager = (*File)(nil)

// Load reads the file once: its top-level keys and the exact bytes they came from.
func (f *File) Load(context.Context) (stores.State, stores.Snapshot, error) {
	data, meta, exists, err := fileutil.ReadWithMeta(f.path)
	if err != nil {
		return stores.State{}, stores.Snapshot{}, fmt.Errorf("read %s: %w", f.path, err)
	}
	if !exists {
		return stores.State{}, stores.Snapshot{}, nil
	}
	doc, err := decode(data)
	if err != nil {
		return stores.State{}, stores.Snapshot{}, fmt.Errorf("read %s: %w; fix or restore the file (plutil -lint checks it on macOS)", f.path, err)
	}
	return doc.state(), stores.Snapshot{Ext: "plist", Data: data, Meta: meta}, nil
}

// Stage applies the edits to base's bytes and prepares the result beside the file.
// Edits that change nothing (removing keys a missing file does not have, say) stage
// nothing, and the commit then leaves the file alone.
func (f *File) Stage(_ context.Context, base stores.Snapshot, edits []stores.Edit) (stores.Staged, error) {
	if base.Data == nil {
		if !stores.OnlyRemovals(edits) {
			return nil, fmt.Errorf("write %s: the file does not exist, and plexform only edits existing "+
				"property lists; start the application once so it creates its preferences", f.path)
		}
		return stores.NothingStaged{}, nil
	}
	doc, err := decode(base.Data)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", f.path, err)
	}
	root, changed, err := doc.apply(edits)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", f.path, err)
	}
	if !changed {
		return stores.NothingStaged{}, nil
	}
	out, err := doc.encode(root, edits)
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
