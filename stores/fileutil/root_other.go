//go:build !unix

package fileutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/plexform/plexform/stores"
)

// Windows has no openat: paths under a Root are spelled inside it (Root.Path) and opened
// as they are, after a walk that refuses any symlink or junction on the way
// (refuseReparse), inside -root or not. The checks that do not need openat (regular
// files only, a size cap) apply all the same.

// local spells path on this machine, refusing one that climbs out of the root or
// passes through a link.
func (r Root) local(path string) (string, error) {
	base, rel, rooted, err := r.split(path)
	if err != nil {
		return "", err
	}
	full := filepath.Join(base, rel)
	if rooted && full != r.dir && !filepath.IsLocal(rel) {
		return "", fmt.Errorf("%s leaves -root %s", path, r.dir)
	}
	if err := refuseReparse(base, rel, path); err != nil {
		return "", err
	}
	return full, nil
}

// OpenRegular opens the regular file at path for reading, refusing anything else.
func (r Root) OpenRegular(path string) (*os.File, error) {
	p, err := r.local(path)
	if err != nil {
		return nil, err
	}
	return openRegularPath(p, path)
}

func openRegularPath(p, path string) (*os.File, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errNotRegular(path, fi.Mode())
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s changed while plexform opened it; nothing was read, run plexform again", path)
	}
	return f, nil
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

// stage writes data beside path (beside the file a symlinked path points at).
func (r Root) stage(path string, data []byte, meta stores.FileMeta) (*Pending, error) {
	target, err := r.local(path)
	if err != nil {
		return nil, err
	}
	if resolved, rerr := filepath.EvalSymlinks(target); rerr == nil {
		target = resolved
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tmpName, err := writeTemp(stagingDir(dir), base, path, data, meta)
	if err != nil {
		return nil, err
	}
	return &Pending{dir: stagingDir(dir), tmpName: tmpName, name: base, path: path, data: data}, nil
}

// stagingDir is a Pending's directory.
type stagingDir string

func (d stagingDir) join(name string) string { return filepath.Join(string(d), name) }
func (d stagingDir) close()                  {}
func (d stagingDir) rename(from, to string) error {
	return os.Rename(d.join(from), d.join(to))
}
func (d stagingDir) remove(name string) error { return os.Remove(d.join(name)) }

// create makes the new file name in the directory.
func (d stagingDir) create(name string) (*os.File, error) {
	return os.OpenFile(d.join(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}
func (d stagingDir) sync() error {
	// Windows cannot flush a directory: FlushFileBuffers needs a handle with write access,
	// which a directory handle cannot have, so every sync failed with "Access denied" and
	// every atomic write with it. NTFS journals the rename itself.
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(string(d))
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
func (d stagingDir) openRegular(name, path string) (*os.File, error) {
	return openRegularPath(d.join(name), path)
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

// Resolve returns the path itself: Windows paths are not resolved further.
func (r Root) Resolve(path string) (string, error) { return r.local(path) }

// Leftovers lists the temp files of ours beside the file at path.
func (r Root) Leftovers(path string) ([]string, error) {
	p, err := r.local(path)
	if err != nil {
		return nil, err
	}
	if resolved, rerr := filepath.EvalSymlinks(p); rerr == nil {
		p = resolved
	}
	entries, err := os.ReadDir(filepath.Dir(p))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if IsTempName(filepath.Base(p), e.Name()) && e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// RemoveLeftover removes one temp file of ours beside the file at path.
func (r Root) RemoveLeftover(path, name string) error {
	p, err := r.local(path)
	if err != nil {
		return err
	}
	if resolved, rerr := filepath.EvalSymlinks(p); rerr == nil {
		p = resolved
	}
	name = filepath.Base(name)
	if !IsTempName(filepath.Base(p), name) {
		return fmt.Errorf("%s is not a temp file plexform makes beside %s; left alone", name, path)
	}
	if err := os.Remove(filepath.Join(filepath.Dir(p), name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
