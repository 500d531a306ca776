package state

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/parallel"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// Dir is plexform's state directory: store backups, each a native copy (<id>.xml,
// .plist, .reg) beside a manifest (<id>.json), and the state files kept beside them (the
// journal, the spent claim tokens). The directory is 0700 and every file 0600, because a
// backup of Plex's settings holds its token. The directory is trusted only as ssh
// trusts ~/.ssh (see trustedDir), and every manifest in it is checked before use.
//
// A Dir reads its directory once: the first call that needs the list loads an index
// of every manifest, Save and Prune keep it up to date, and Lock loads it again (another
// process may have changed the directory before the lock was ours). So an apply over N
// stores lists the directory once, not N times. Locate says where it lies.
type Dir struct {
	Path string
	// Root is the -root tree Path lies in, if any: the directories on the way to Path are
	// then resolved and made inside the tree (a link there means the tree's path, as it
	// would on the tree's own host), never on this machine's /. The zero Root: none.
	Root fileutil.Root

	dir *trustedDir
	idx *index
	// batch, while Batch runs, holds the backups Saved so far, written but not yet
	// synced, their manifests under temp names.
	batch *saveBatch
}

// saveBatch is what Batch has left to do for each backup saved within it.
type saveBatch struct{ pending []pendingSave }

type pendingSave struct {
	m           *Manifest
	tmpManifest string
}

// Batch runs save, a series of Saves whose backups need to be durable only once all of
// them are (an apply backs up every store before the stop). Each Save writes its copy
// and its manifest (under a temp name) without waiting for the disk; then all are synced
// at once, parallel.Workers at a time, and only then is each manifest renamed to its name and the
// directory synced, once. A sync waits for the file system's journal, and syncs that
// wait together share one commit: one store at a time, over 1,000 stores, these waits
// were most of the apply. A backup is listed only once its manifest has its name, so a
// crash midway leaves copies without manifests and temp files, which Tidy removes.
func (b *Dir) Batch(save func() error) error {
	b.batch = &saveBatch{}
	defer func() { b.batch = nil }()
	if err := save(); err != nil {
		b.abandon()
		return err
	}
	pending := b.batch.pending
	if len(pending) == 0 {
		return nil
	}
	d := b.dir
	errs := make([]error, 2*len(pending))
	parallel.Do(len(errs), func(i int) {
		p := pending[i/2]
		if i%2 == 0 {
			errs[i] = d.syncFile(p.m.File)
		} else {
			errs[i] = d.syncFile(p.tmpManifest)
		}
	})
	err := errors.Join(errs...)
	for _, p := range pending {
		if err != nil {
			break
		}
		if err = d.rename(p.tmpManifest, p.m.ID+manifestExt); err != nil {
			err = fmt.Errorf("back up %s: %w", p.m.Target, err)
		}
	}
	if err == nil {
		if err = d.sync(); err != nil {
			err = fmt.Errorf("sync the backups directory %s: %w", b.Path, err)
		}
	}
	if err != nil {
		b.abandon()
		return err
	}
	return nil
}

// abandon removes what the batch wrote: a failed batch leaves no backup behind.
func (b *Dir) abandon() {
	for _, p := range b.batch.pending {
		b.dir.remove(p.tmpManifest)
		_ = b.Discard(p.m)
	}
	b.batch.pending = nil
}

// Manifest says what a backup is and where it came from. Read back from disk it is
// untrusted input: see checkManifest.
type Manifest struct {
	ID       string    `json:"id"`
	Resource string    `json:"resource"`
	Kind     string    `json:"kind"`
	Target   string    `json:"target"`
	File     string    `json:"file"`
	UID      int       `json:"uid"`
	GID      int       `json:"gid"`
	Owner    string    `json:"owner"`
	Mode     string    `json:"mode"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	Time     time.Time `json:"time"`
	Plan     string    `json:"plan,omitempty"`
	Version  string    `json:"plexform_version"`
}

const manifestExt = ".json"

// index is what one listing of the directory found.
type index struct {
	byStore map[storeKey][]*Manifest // oldest first
	// orphans are names of ours with no use: a copy whose manifest was never written (a
	// kill between the two) and temp files of a write that never finished.
	orphans []string
	// skipped are the manifests that failed their checks, with why.
	skipped []error
}

type storeKey struct{ resource, target string }

// open opens the directory once. With create unset a missing directory is nil, nil.
func (b *Dir) open(create bool) (*trustedDir, error) {
	if b.dir != nil {
		return b.dir, nil
	}
	d, err := openTrustedDirIn(b.Root, b.Path, create)
	if errors.Is(err, fs.ErrNotExist) && !create {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b.dir = d
	return d, nil
}

// Close releases the directory. The Dir can be used again: it reopens.
func (b *Dir) Close() error {
	b.idx = nil
	if b.dir == nil {
		return nil
	}
	err := b.dir.close()
	b.dir = nil
	return err
}

// load lists the directory and decodes its manifests, once.
func (b *Dir) load() (*index, error) {
	if b.idx != nil {
		return b.idx, nil
	}
	idx := &index{byStore: map[storeKey][]*Manifest{}}
	d, err := b.open(false)
	if err != nil {
		return nil, err
	}
	if d == nil {
		b.idx = idx
		return idx, nil
	}
	names, err := d.names()
	if err != nil {
		return nil, err
	}
	manifests := map[string]bool{}
	var copies []string
	for _, name := range names {
		switch {
		case isManifestName(name):
			id := strings.TrimSuffix(name, manifestExt)
			manifests[id] = true
			m, err := b.readManifest(d, id)
			if err != nil {
				idx.skipped = append(idx.skipped, err)
				continue
			}
			k := storeKey{m.Resource, m.Target}
			idx.byStore[k] = append(idx.byStore[k], m)
		case isCopyName(name):
			copies = append(copies, name)
		case strings.HasPrefix(name, tempPrefix):
			idx.orphans = append(idx.orphans, name)
		}
	}
	for _, name := range copies {
		if !manifests[copyID(name)] {
			idx.orphans = append(idx.orphans, name)
		}
	}
	for _, list := range idx.byStore {
		slices.SortFunc(list, olderFirst)
	}
	b.idx = idx
	return idx, nil
}

func olderFirst(a, b *Manifest) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// Save writes a snapshot and its manifest. The copy's name is taken with O_EXCL, so a
// name planted in advance (a symlink, say) is skipped, never written through. The
// manifest is written last, so a copy without one is an unfinished write: List ignores
// it and Tidy removes it.
func (b *Dir) Save(resource, kind, target, planFile, version string, snap stores.Snapshot) (*Manifest, error) {
	if !isResourceName(resource) || len(resource) > maxResourceLen {
		return nil, fmt.Errorf("back up %s: %q cannot name a backup (want [a-z0-9_-], at most %d)", target, resource, maxResourceLen)
	}
	if !isBackupExt(snap.Ext) {
		return nil, fmt.Errorf("back up %s: no backup format %q", target, snap.Ext)
	}
	d, err := b.open(true)
	if err != nil {
		return nil, err
	}
	idx, err := b.load()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	sum := sha256.Sum256(snap.Data)
	m := &Manifest{
		Resource: resource, Kind: kind, Target: target,
		UID: snap.Meta.UID, GID: snap.Meta.GID, Owner: b.Root.DescribeOwner(snap.Meta.UID, snap.Meta.GID),
		Mode: fmt.Sprintf("%04o", snap.Meta.Mode), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(snap.Data)),
		Time: now, Plan: planFile, Version: version,
	}
	if err := checkFields(m); err != nil {
		return nil, fmt.Errorf("back up %s: %w", target, err)
	}
	base := now.Format(idTimeLayout) + "-" + resource
	for n := 1; ; n++ {
		m.ID = base
		if n > 1 {
			m.ID = fmt.Sprintf("%s-%d", base, n)
		}
		m.File = m.ID + "." + snap.Ext
		if taken, err := d.exists(m.ID + manifestExt); err != nil {
			return nil, fmt.Errorf("back up %s: %w", target, err)
		} else if taken {
			continue
		}
		err := d.create(m.File, snap.Data, b.batch == nil)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("back up %s: %w", target, err)
		}
		break
	}
	data, err := encodeManifest(m)
	if err == nil {
		if b.batch != nil {
			var tmp string
			if tmp, err = d.createTemp(data, false); err == nil {
				b.batch.pending = append(b.batch.pending, pendingSave{m: m, tmpManifest: tmp})
			}
		} else {
			err = d.writeAtomic(m.ID+manifestExt, data)
		}
	}
	if err != nil {
		d.remove(m.File)
		return nil, fmt.Errorf("back up %s: %w", target, err)
	}
	k := storeKey{m.Resource, m.Target}
	idx.byStore[k] = append(idx.byStore[k], m)
	if l := idx.byStore[k]; len(l) > 1 && olderFirst(l[len(l)-2], m) > 0 {
		slices.SortFunc(l, olderFirst) // the clock went back
	}
	return m, nil
}

// List returns every backup whose manifest passed its checks, oldest first. A missing
// directory is an empty list; Problems says what was skipped.
func (b *Dir) List() ([]*Manifest, error) {
	idx, err := b.load()
	if err != nil {
		return nil, err
	}
	var out []*Manifest
	for _, list := range idx.byStore {
		out = append(out, list...)
	}
	slices.SortFunc(out, olderFirst)
	return out, nil
}

// Problems are the manifests the last listing skipped, each with why: reported,
// never acted on.
func (b *Dir) Problems() []error {
	if b.idx == nil {
		return nil
	}
	return slices.Clone(b.idx.skipped)
}

// Load returns a backup's manifest and snapshot, refusing one whose manifest fails its
// checks or whose bytes do not match the sha256 the manifest recorded.
func (b *Dir) Load(id string) (*Manifest, stores.Snapshot, error) {
	if !isBackupID(id) {
		return nil, stores.Snapshot{}, fmt.Errorf("%q is not a backup id (see `plexform backups`)", id)
	}
	d, err := b.open(false)
	if err != nil {
		return nil, stores.Snapshot{}, err
	}
	if d == nil {
		return nil, stores.Snapshot{}, fmt.Errorf("no backup %q: %s does not exist (see `plexform backups`)", id, b.Path)
	}
	m, err := b.readManifest(d, id)
	if err != nil {
		return nil, stores.Snapshot{}, err
	}
	// Read at most the size the manifest recorded: a longer copy is as damaged as one
	// with other bytes, and is not read to its end to find out.
	data, err := d.readFile(m.File, m.Size)
	if err != nil && !errors.Is(err, errTooLarge) {
		return nil, stores.Snapshot{}, fmt.Errorf("backup %s is damaged: %w", id, err)
	}
	sum := sha256.Sum256(data)
	if err != nil || hex.EncodeToString(sum[:]) != m.SHA256 {
		return nil, stores.Snapshot{}, fmt.Errorf("backup %s is damaged: %s does not match the sha256 in its manifest", id, d.join(m.File))
	}
	mode, _ := parseMode(m.Mode)
	return m, stores.Snapshot{Ext: strings.TrimPrefix(filepath.Ext(m.File), "."), Data: data,
		Meta: stores.FileMeta{Path: m.Target, UID: m.UID, GID: m.GID, Mode: mode}}, nil
}

func (b *Dir) readManifest(d *trustedDir, id string) (*Manifest, error) {
	name := id + manifestExt
	data, err := d.readFile(name, maxManifestSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no backup %q in %s (see `plexform backups`)", id, b.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("backup manifest %s: %w", d.join(name), err)
	}
	m, err := decodeManifest(data)
	if err == nil {
		err = checkManifest(m, id)
	}
	if err != nil {
		return nil, fmt.Errorf("backup manifest %s is not one plexform wrote, so it is skipped: %w", d.join(name), err)
	}
	return m, nil
}

// BackupPath is where a backup's native copy lies, for messages.
func (b *Dir) BackupPath(m *Manifest) string { return filepath.Join(b.Path, m.File) }

// Prune removes the oldest backups of one store beyond keep. It deletes only the two
// names of a manifest that passed its checks: <id>.json and <id>.<ext>, names it
// would have written itself.
func (b *Dir) Prune(resource, target string, keep int) error {
	idx, err := b.load()
	if err != nil {
		return err
	}
	k := storeKey{resource, target}
	mine := idx.byStore[k]
	if len(mine) <= keep {
		return nil
	}
	d, err := b.open(false)
	if err != nil || d == nil {
		return err
	}
	defer func() { idx.byStore[k] = mine }()
	for len(mine) > keep {
		if err := removeBackup(d, mine[0]); err != nil {
			return fmt.Errorf("prune %w", err)
		}
		mine = mine[1:]
	}
	// Not synced: a removal lost in a crash only leaves an old backup more.
	return nil
}

// Discard removes a backup this run made and no longer needs: the copy taken before the
// stop, once the server rewrote the store on shutdown and a newer copy holds what the
// rollback must put back.
func (b *Dir) Discard(m *Manifest) error {
	if !isBackupID(m.ID) || !isCopyName(m.File) || copyID(m.File) != m.ID {
		return fmt.Errorf("internal error: %q is not a backup of ours", m.ID)
	}
	d, err := b.open(false)
	if err != nil || d == nil {
		return err
	}
	if err := removeBackup(d, m); err != nil {
		return err
	}
	if b.idx != nil {
		k := storeKey{m.Resource, m.Target}
		b.idx.byStore[k] = slices.DeleteFunc(b.idx.byStore[k], func(o *Manifest) bool { return o.ID == m.ID })
	}
	return nil
}

// removeBackup removes the two names of a backup, the manifest first: a copy without
// one is ignored, never half-listed (and Tidy removes it).
func removeBackup(d *trustedDir, m *Manifest) error {
	if err := d.remove(m.ID + manifestExt); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup %s: %w", m.ID, err)
	}
	if err := d.remove(m.File); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup %s: %w", m.ID, err)
	}
	return nil
}

// checkStateName admits a name for a state file of plexform's kept beside the backups
// (a journal, the used claim tokens): a plain name that no backup, manifest, temp file
// or lock could have, so Prune and Tidy never touch it.
func checkStateName(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if strings.HasPrefix(name, ".") || isManifestName(name) || isCopyName(name) {
		return fmt.Errorf("%q cannot name a state file: it starts with a dot or is named like a backup", name)
	}
	return nil
}

// WriteFile writes a state file into the backups dir: 0600, atomically (a fresh temp
// file renamed over name), never through a link, creating the trusted dir if needed.
func (b *Dir) WriteFile(name string, data []byte) error {
	return b.writeState(name, data, true)
}

// WriteFileUnsynced is WriteFile without waiting for the disk: for records written
// while Plex is down whose loss in a power cut costs nothing (the journal's progress).
func (b *Dir) WriteFileUnsynced(name string, data []byte) error {
	return b.writeState(name, data, false)
}

func (b *Dir) writeState(name string, data []byte, sync bool) error {
	if err := checkStateName(name); err != nil {
		return err
	}
	d, err := b.open(true)
	if err != nil {
		return err
	}
	return d.replace(name, data, sync)
}

// ReadFile reads a state file of at most max bytes; a missing one (or a missing dir)
// is an error that errors.Is fs.ErrNotExist. A link, a FIFO or a larger file is an error,
// and so is one of another user or open to the group or others (ErrUntrustedDir).
func (b *Dir) ReadFile(name string, max int64) ([]byte, error) {
	if err := checkStateName(name); err != nil {
		return nil, err
	}
	d, err := b.open(false)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(b.Path, name), fs.ErrNotExist)
	}
	return d.readStateFile(name, max)
}

// StatePath is where the state file name is, for messages.
func (b *Dir) StatePath(name string) string { return filepath.Join(b.Path, name) }

// RemoveFile removes a state file; a missing one is not an error.
func (b *Dir) RemoveFile(name string) error {
	if err := checkStateName(name); err != nil {
		return err
	}
	d, err := b.open(false)
	if err != nil || d == nil {
		return err
	}
	if err := d.remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return d.sync()
}
