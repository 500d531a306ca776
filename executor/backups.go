package executor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// Backups is a directory of store backups: each a native copy (<id>.xml, .plist, .reg)
// beside a manifest (<id>.json). The directory is 0700 and every file 0600, because a
// backup of Plex's settings holds its token.
type Backups struct {
	Dir string
}

// Manifest says what a backup is and where it came from.
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

// Save writes a snapshot and its manifest. The manifest is written last, so a backup
// without one is an unfinished write that List ignores.
func (b *Backups) Save(resource, kind, target, planFile, version string, snap stores.Snapshot) (*Manifest, error) {
	if err := fileutil.MkdirPrivate(b.Dir); err != nil {
		return nil, fmt.Errorf("backups: %w", err)
	}
	now := time.Now().UTC()
	id := now.Format("20060102T150405Z") + "-" + resource
	for n := 2; b.exists(id); n++ {
		id = fmt.Sprintf("%s-%s-%d", now.Format("20060102T150405Z"), resource, n)
	}
	sum := sha256.Sum256(snap.Data)
	m := &Manifest{
		ID: id, Resource: resource, Kind: kind, Target: target, File: id + "." + snap.Ext,
		UID: snap.Meta.UID, GID: snap.Meta.GID, Owner: fileutil.DescribeOwner(snap.Meta.UID, snap.Meta.GID),
		Mode: fmt.Sprintf("%04o", snap.Meta.Mode), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(snap.Data)),
		Time: now, Plan: planFile, Version: version,
	}
	if err := fileutil.WritePrivate(filepath.Join(b.Dir, m.File), snap.Data); err != nil {
		return nil, fmt.Errorf("back up %s: %w", target, err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := fileutil.WritePrivate(filepath.Join(b.Dir, id+manifestExt), append(data, '\n')); err != nil {
		os.Remove(filepath.Join(b.Dir, m.File))
		return nil, fmt.Errorf("back up %s: %w", target, err)
	}
	return m, nil
}

func (b *Backups) exists(id string) bool {
	_, err := os.Stat(filepath.Join(b.Dir, id+manifestExt))
	return err == nil
}

// List returns every backup, oldest first. A missing directory is an empty list.
func (b *Backups) List() ([]*Manifest, error) {
	entries, err := os.ReadDir(b.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var out []*Manifest
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), manifestExt) {
			continue
		}
		m, err := b.manifest(strings.TrimSuffix(e.Name(), manifestExt))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (b *Backups) manifest(id string) (*Manifest, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id != filepath.Base(id) {
		return nil, fmt.Errorf("%q is not a backup id (see `plexform backups`)", id)
	}
	data, err := os.ReadFile(filepath.Join(b.Dir, id+manifestExt))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no backup %q in %s (see `plexform backups`)", id, b.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read backup manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("backup manifest %s is damaged: %w", filepath.Join(b.Dir, id+manifestExt), err)
	}
	return &m, nil
}

// Load returns a backup's manifest and snapshot, refusing one whose bytes no longer
// match the checksum the manifest recorded.
func (b *Backups) Load(id string) (*Manifest, stores.Snapshot, error) {
	m, err := b.manifest(id)
	if err != nil {
		return nil, stores.Snapshot{}, err
	}
	path := filepath.Join(b.Dir, m.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, stores.Snapshot{}, fmt.Errorf("read backup: %w", err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != m.SHA256 {
		return nil, stores.Snapshot{}, fmt.Errorf("backup %s is damaged: %s does not match the sha256 in its manifest", id, path)
	}
	var mode uint32
	fmt.Sscanf(m.Mode, "%o", &mode)
	return m, stores.Snapshot{Ext: strings.TrimPrefix(filepath.Ext(m.File), "."), Data: data,
		Meta: stores.FileMeta{Path: m.Target, UID: m.UID, GID: m.GID, Mode: mode}}, nil
}

// Path is where a backup's native copy lies, for messages.
func (b *Backups) Path(m *Manifest) string { return filepath.Join(b.Dir, m.File) }

// Prune removes the oldest backups of one store beyond keep.
func (b *Backups) Prune(resource, target string, keep int) error {
	all, err := b.List()
	if err != nil {
		return err
	}
	var mine []*Manifest
	for _, m := range all {
		if m.Resource == resource && m.Target == target {
			mine = append(mine, m)
		}
	}
	for len(mine) > keep {
		old := mine[0]
		mine = mine[1:]
		// The manifest goes first: a copy without one is ignored, never half-listed.
		if err := os.Remove(filepath.Join(b.Dir, old.ID+manifestExt)); err != nil {
			return fmt.Errorf("prune backup %s: %w", old.ID, err)
		}
		if err := os.Remove(filepath.Join(b.Dir, old.File)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("prune backup %s: %w", old.ID, err)
		}
	}
	return nil
}
