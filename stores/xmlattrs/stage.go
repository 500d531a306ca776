package xmlattrs

import (
	"context"
	"fmt"
	"sync"

	"github.com/plexform/plexform/stores"
)

var _ stores.Stager = (*File)(nil)

// Load reads the file once: its attributes and the exact bytes they came from.
func (f *File) Load(context.Context) (stores.State, stores.Snapshot, error) {
	raw, meta, exists, err := f.fs.ReadWithMeta(f.path)
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
	f.remember(raw, doc)
	return stores.State{Exists: true, Values: values}, stores.Snapshot{Ext: "xml", Data: raw, Meta: meta}, nil
}

// Stage edits base's bytes and prepares the result beside the file.
func (f *File) Stage(_ context.Context, base stores.Snapshot, edits []stores.Edit) (stores.Staged, error) {
	return f.fs.StageEdits(f.path, base, edits,
		"plexform edits an existing Preferences.xml and does not create one (start Plex once to make it)",
		func(data []byte) ([]byte, bool, error) {
			doc := f.loaded(data)
			if doc == nil {
				var err error
				if doc, err = parseDocument(data, f.element, f.root); err != nil {
					return nil, false, fmt.Errorf("%w; the file was left alone", err)
				}
			}
			out, err := doc.edited(edits)
			return out, err == nil, err
		})
}

// Unchanged compares the file's bytes with base's.
func (f *File) Unchanged(_ context.Context, base stores.Snapshot) (bool, error) {
	return f.fs.SameContent(f.path, base.Data)
}

// lastLoad is what Load parsed last: the bytes it read and where their element's start
// tag is. Stage is given those same bytes back as its base and edits them without a
// second parse, which for a 50 MB Preferences.xml would decode every attribute value
// again (50 MB of strings) while the first copy is still held. Only the tag's offsets
// are kept, not the values.
type lastLoad struct {
	mu  sync.Mutex
	raw []byte
	doc *document
}

func (f *File) remember(raw []byte, doc *document) {
	kept := *doc
	kept.values = nil // edited looks names up in the tag; the values are the big part
	f.last.mu.Lock()
	f.last.raw, f.last.doc = raw, &kept
	f.last.mu.Unlock()
}

// loaded returns the document Load parsed from exactly this slice (the same bytes in
// memory, not merely equal ones: a snapshot's bytes are never changed once read), or nil.
func (f *File) loaded(raw []byte) *document {
	f.last.mu.Lock()
	defer f.last.mu.Unlock()
	if len(raw) == 0 || len(raw) != len(f.last.raw) || &raw[0] != &f.last.raw[0] {
		return nil
	}
	return f.last.doc
}
