package fileutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/plexform/plexform/stores"
)

var _ stores.Staged = (*Pending)(nil)

// Pending is a file's new content, written and synced beside it under a temp name with
// the owner, group and mode it must end with, waiting for one rename. It is how a write
// is prepared before Plex stops, so that only the rename happens while it is down.
type Pending struct {
	tmp, path, dir string
	data           []byte
	done           bool
}

// Stage writes data beside path (following a symlinked path to its target, which is
// what gets replaced) and syncs it, ready for Commit. Creating the temp file is also the
// real test that the directory can be written: a read-only file system fails here,
// before any service is stopped.
func Stage(path string, data []byte, meta stores.FileMeta) (*Pending, error) {
	return stage(path, data, meta, true)
}

func stage(path string, data []byte, meta stores.FileMeta, sync bool) (p *Pending, err error) {
	// A symlinked settings file (common on NAS and in containers) stays a symlink: the
	// new file replaces its target, not the link.
	if resolved, rerr := filepath.EvalSymlinks(path); rerr == nil {
		path = resolved
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, TempPrefix(base)+"*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err = chownIfNeeded(tmp, meta); err != nil {
		return nil, fmt.Errorf("write %s: keep owner %s: %w", path, DescribeOwner(meta.UID, meta.GID), err)
	}
	// Chmod after chown: chown clears setuid/setgid bits.
	if err = tmp.Chmod(fileMode(meta.Mode)); err != nil {
		return nil, fmt.Errorf("write %s: keep mode %04o: %w", path, meta.Mode, err)
	}
	if sync {
		if err = tmp.Sync(); err != nil {
			return nil, fmt.Errorf("write %s: sync: %w", path, err)
		}
	}
	if err = tmp.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &Pending{tmp: tmpName, path: path, dir: dir, data: data}, nil
}

// TempPrefix is the name every temp file of ours beside base starts with, so a run cut
// short can find what it left.
func TempPrefix(base string) string { return "." + base + ".plexform-" }

// Temp is the staged file's path.
func (p *Pending) Temp() string { return p.tmp }

// rename puts the staged file in place; the rename is atomic but not yet durable.
func (p *Pending) rename() error {
	if p.done {
		return errors.New("internal error: a staged write was committed twice")
	}
	p.done = true
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// Durable waits until the rename is on disk: the directory entry must be synced too.
func (p *Pending) Durable() error {
	d, err := os.Open(p.dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", p.dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", p.dir, err)
	}
	return nil
}

// Commit renames the staged file into place, then checks by comparing bytes (never
// by parsing) that the file holds exactly what was staged. Durable, called later,
// makes the rename survive a power cut.
func (p *Pending) Commit(context.Context) error {
	if err := p.rename(); err != nil {
		return err
	}
	same, err := SameContent(p.path, p.data)
	if err != nil {
		return fmt.Errorf("check %s after the write: %w", p.path, err)
	}
	if !same {
		return fmt.Errorf("%s does not hold what was written: something else wrote it at the same time", p.path)
	}
	return nil
}

// Discard removes the staged file; the target was never touched.
func (p *Pending) Discard() error {
	if p.done {
		return nil
	}
	p.done = true
	if err := os.Remove(p.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", p.tmp, err)
	}
	return nil
}

// SameContent reports whether the file at path holds exactly want. It compares in
// chunks, so checking a large file costs no second copy of it in memory. A missing file
// holds nothing, which equals an empty want only when want is nil.
func SameContent(path string, want []byte) (bool, error) {
	f, err := OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return want == nil, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	if want == nil || fi.Size() != int64(len(want)) {
		return false, nil
	}
	buf := make([]byte, 64<<10)
	for off := 0; ; {
		n, err := f.Read(buf)
		if n > 0 {
			if off+n > len(want) || !bytes.Equal(buf[:n], want[off:off+n]) {
				return false, nil
			}
			off += n
		}
		if err == io.EOF {
			return off == len(want), nil
		}
		if err != nil {
			return false, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// ReadWithMeta reads a regular file and the owner, group and mode it had while being
// read, from one open file, so the bytes and the metadata describe the same file.
// exists is false (and err nil) when there is no file.
func ReadWithMeta(path string) (data []byte, meta stores.FileMeta, exists bool, err error) {
	f, err := OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, stores.FileMeta{Path: path}, false, nil
	}
	if err != nil {
		return nil, stores.FileMeta{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, stores.FileMeta{}, false, fmt.Errorf("stat %s: %w", path, err)
	}
	data, err = io.ReadAll(f)
	if err != nil {
		return nil, stores.FileMeta{}, false, fmt.Errorf("read %s: %w", path, err)
	}
	uid, gid := ownerOf(fi)
	return data, stores.FileMeta{Path: path, UID: uid, GID: gid, Mode: uint32(permBits(fi.Mode()))}, true, nil
}

// OpenRegular opens path for reading without blocking (a FIFO planted at a settings path
// must not hang plexform while Plex is stopped) and refuses anything but a regular file.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s); plexform reads only plain files there", path, fi.Mode().Type())
	}
	return f, nil
}
