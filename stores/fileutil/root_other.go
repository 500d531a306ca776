//go:build !unix

package fileutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/plexform/plexform/stores"
)

// Windows has no openat: paths under a Root are spelled inside it (Root.Path) and opened
// as they are. A store path there is a registry key far more often than a file, and no
// other user plants links in a Windows profile; the checks that do not need openat
// (regular files only, a size cap) apply all the same.

// local spells path on this machine, refusing one that climbs out of the root.
func (r Root) local(path string) (string, error) {
	base, rel, rooted, err := r.split(path)
	if err != nil {
		return "", err
	}
	full := filepath.Join(base, rel)
	if rooted && full != r.dir && !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%s leaves -root %s", path, r.dir)
	}
	return full, nil
}

// ReadFile reads the regular file at path, at most limit bytes, with its metadata.
func (r Root) ReadFile(path string, limit int64) ([]byte, stores.FileMeta, error) {
	p, err := r.local(path)
	if err != nil {
		return nil, stores.FileMeta{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, stores.FileMeta{}, err
	}
	if !fi.Mode().IsRegular() {
		return nil, stores.FileMeta{}, errNotRegular(path, fi.Mode())
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, stores.FileMeta{}, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, stores.FileMeta{}, fmt.Errorf("read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, stores.FileMeta{}, errNotRegular(path, fi.Mode())
	}
	if fi.Size() > limit {
		return nil, stores.FileMeta{}, errTooLarge(path, fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, stores.FileMeta{}, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, stores.FileMeta{}, errTooLarge(path, int64(len(data)), limit)
	}
	return data, stores.FileMeta{Path: path, UID: -1, GID: -1, Mode: uint32(permBits(fi.Mode()))}, nil
}

// Stat returns the metadata of the regular file at path; exists is false when it is not there.
func (r Root) Stat(path string) (stores.FileMeta, bool, error) {
	p, err := r.local(path)
	if err != nil {
		return stores.FileMeta{}, false, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return stores.FileMeta{Path: path}, false, nil
	}
	if err != nil {
		return stores.FileMeta{}, false, fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return stores.FileMeta{}, false, errNotRegular(path, fi.Mode())
	}
	uid, gid := ownerOf(fi)
	return stores.FileMeta{Path: path, UID: uid, GID: gid, Mode: uint32(permBits(fi.Mode()))}, true, nil
}

// TypeOf returns the type bits of what is at path.
func (r Root) TypeOf(path string) (fs.FileMode, error) {
	p, err := r.local(path)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return fi.Mode().Type(), nil
}

// WriteAtomic replaces path with data through a temp file in the same directory.
func (r Root) WriteAtomic(path string, data []byte, meta stores.FileMeta) (err error) {
	p, err := r.local(path)
	if err != nil {
		return err
	}
	if resolved, rerr := filepath.EvalSymlinks(p); rerr == nil {
		p = resolved
	}
	dir, base := filepath.Split(p)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".plexform-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Chmod(fileMode(meta.Mode)); err != nil {
		return fmt.Errorf("write %s: keep mode %04o: %w", path, meta.Mode, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmpName, p); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// CheckWritable on Windows leaves the verdict to the write itself, which is atomic.
func (r Root) CheckWritable(path string) error {
	_, err := r.local(path)
	return err
}

// OpenDir opens the directory at path.
func (r Root) OpenDir(path string) (*os.File, error) {
	p, err := r.local(path)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// MkdirAll makes the directory at path and its parents and returns it open.
func (r Root) MkdirAll(path string, perm fs.FileMode) (*os.File, error) {
	p, err := r.local(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p, perm); err != nil {
		return nil, err
	}
	return os.Open(p)
}

// ReadDirNames lists the names in the directory at path.
func (r Root) ReadDirNames(path string) ([]string, error) {
	d, err := r.OpenDir(path)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

// Resolve returns the path itself: Windows paths are not resolved further.
func (r Root) Resolve(path string) (string, error) { return r.local(path) }
