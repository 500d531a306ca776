package fileutil

import (
	"fmt"
	"io/fs"

	"github.com/plexform/plexform/stores"
)

// What every file store (xml_attributes, plist_keys' File) does the same way, whatever
// its file's format: back the file up, stage an edit of it beside it, put a backup back.
// A store brings only its parser and its edit; its Write is stores.WriteStaged over its
// own Load and Stage, so a write and a staged write are one path.

// Snapshot is a byte-exact copy of the regular file at path with its owner, group and
// mode, as a backup of kind ext ("xml", "plist"). A missing file is an error that
// errors.Is fs.ErrNotExist: there is nothing to back up.
func (r Root) Snapshot(path, ext string) (stores.Snapshot, error) {
	data, meta, exists, err := r.ReadWithMeta(path)
	if err != nil {
		return stores.Snapshot{}, fmt.Errorf("back up %s: %w", path, err)
	}
	if !exists {
		return stores.Snapshot{}, fmt.Errorf("back up %s: %w", path, fs.ErrNotExist)
	}
	return stores.Snapshot{Ext: ext, Data: data, Meta: meta}, nil
}

// StageEdits is a file store's Stage: it applies edits to base (what Load read) and
// stages the result beside path with base's owner, group and mode, leaving the file
// itself alone. edit makes the new bytes from base's, in the store's format; when it
// reports nothing changed, nothing is staged and the commit leaves the file alone (a
// second apply does not even touch the mtime). A file that is not there takes only
// removals, which do nothing; anything else fails with hint, which says how the file
// comes to exist, since plexform edits settings files and never creates one.
func (r Root) StageEdits(path string, base stores.Snapshot, edits []stores.Edit, hint string,
	edit func(data []byte) (out []byte, changed bool, err error)) (stores.Staged, error) {
	if base.Data == nil {
		if stores.OnlyRemovals(edits) {
			return stores.NothingStaged{}, nil
		}
		return nil, fmt.Errorf("write %s: the file does not exist; %s", path, hint)
	}
	out, changed, err := edit(base.Data)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if !changed {
		return stores.NothingStaged{}, nil
	}
	p, err := r.Stage(path, out, base.Meta)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Restore is a file store's Restore: check refuses a snapshot whose bytes are not the
// store's format (a backup is only a file in a directory, and may be damaged), leaving
// the file alone; otherwise the bytes go back atomically with the owner, group and mode
// the snapshot recorded. A snapshot without them (made by hand) takes the current
// file's, or 0600 and the caller's ownership when there is no file.
func (r Root) Restore(path string, s stores.Snapshot, check func(stores.Snapshot) error) error {
	if err := check(s); err != nil {
		return fmt.Errorf("restore %s: %w; the file was left alone", path, err)
	}
	meta := s.Meta
	if meta == (stores.FileMeta{}) || meta == (stores.FileMeta{Path: meta.Path}) {
		cur, exists, err := r.Stat(path)
		if err != nil {
			return fmt.Errorf("restore %s: %w", path, err)
		}
		meta = cur
		if !exists {
			meta = stores.FileMeta{UID: -1, GID: -1, Mode: 0o600}
		}
	}
	return r.WriteAtomic(path, s.Data, meta) // its errors say "write PATH"; the caller names the restore
}
