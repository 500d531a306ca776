package plist

import (
	"context"
	"fmt"

	"github.com/plexform/plexform/stores"
)

var _ stores.Stager = (*File)(nil)

// Load reads the file once: its top-level keys and the exact bytes they came from.
func (f *File) Load(context.Context) (stores.State, stores.Snapshot, error) {
	data, meta, exists, err := f.root.ReadWithMeta(f.path)
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
	return f.root.StageEdits(f.path, base, edits,
		"plexform only edits existing property lists: start the application once so it creates its preferences",
		func(data []byte) ([]byte, bool, error) {
			doc, err := decode(data)
			if err != nil {
				return nil, false, err
			}
			root, changed, err := doc.apply(edits)
			if err != nil || !changed {
				return nil, false, err
			}
			out, err := doc.encode(root, edits)
			return out, err == nil, err
		})
}

// Unchanged compares the file's bytes with base's.
func (f *File) Unchanged(_ context.Context, base stores.Snapshot) (bool, error) {
	return f.root.SameContent(f.path, base.Data)
}
