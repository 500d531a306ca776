//go:build unix

package fileutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/plexform/plexform/stores"
)

// OpenRegular opens the regular file at path for reading. What is there is checked to be
// a regular file before it is opened (a device is never opened), it is opened
// non-blocking (a FIFO swapped in at the last moment cannot hang plexform), and the open
// file is checked to be the one checked.
func (r Root) OpenRegular(path string) (*os.File, error) {
	loc, err := r.locate(path)
	if err != nil {
		return nil, err
	}
	defer loc.close()
	if loc.name == "." {
		return nil, errNotRegular(path, fs.ModeDir)
	}
	return openRegularAt(loc.dir, loc.name, path)
}

// openRegularAt opens name in dir as OpenRegular does; path names it in messages.
func openRegularAt(dir int, name, path string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if m := modeOf(uint32(st.Mode)); !m.IsRegular() {
		return nil, errNotRegular(path, m)
	}
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var now unix.Stat_t
	if err := unix.Fstat(fd, &now); err != nil || now.Dev != st.Dev || now.Ino != st.Ino || !modeOf(uint32(now.Mode)).IsRegular() {
		unix.Close(fd)
		return nil, fmt.Errorf("%s changed while plexform opened it; nothing was read, run plexform again", path)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Stat returns the owner, group and mode of the regular file at path. exists is false
// (and err nil) when nothing is there.
func (r Root) Stat(path string) (meta stores.FileMeta, exists bool, err error) {
	loc, err := r.locate(path)
	if errors.Is(err, fs.ErrNotExist) {
		return stores.FileMeta{Path: path}, false, nil
	}
	if err != nil {
		return stores.FileMeta{}, false, err
	}
	defer loc.close()
	var st unix.Stat_t
	if loc.name == "." {
		return stores.FileMeta{}, false, errNotRegular(path, fs.ModeDir)
	}
	err = unix.Fstatat(loc.dir, loc.name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return stores.FileMeta{Path: path}, false, nil
	}
	if err != nil {
		return stores.FileMeta{}, false, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if m := modeOf(uint32(st.Mode)); !m.IsRegular() {
		return stores.FileMeta{}, false, errNotRegular(path, m)
	}
	return stores.FileMeta{Path: path, UID: int(st.Uid), GID: int(st.Gid), Mode: uint32(permBits(modeOf(uint32(st.Mode))))}, true, nil
}

// TypeOf returns the type bits of what is at path (0 for a regular file, fs.ModeDir
// for a directory...), following symlinks inside the root.
func (r Root) TypeOf(path string) (fs.FileMode, error) {
	loc, err := r.locate(path)
	if err != nil {
		return 0, err
	}
	defer loc.close()
	var st unix.Stat_t
	if err := unix.Fstatat(loc.dir, loc.name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return modeOf(uint32(st.Mode)).Type(), nil
}

// stage writes data beside the file at path in the directory that file really is in, and
// keeps that directory open for the rename.
func (r Root) stage(path string, data []byte, meta stores.FileMeta) (p *Pending, err error) {
	loc, err := r.locate(path)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	// From here the directory belongs to a hold, shared with the store's lock when that
	// holds the same directory; loc.dir may be closed and must not be used.
	hold, err := holdDirFD(loc.dir, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	dir := stagingDir{hold: hold, path: filepath.Dir(path)}
	defer func() {
		if err != nil {
			dir.close()
		}
	}()
	if loc.name == "." {
		return nil, fmt.Errorf("write %w", errNotRegular(path, fs.ModeDir))
	}
	tmpName, err := writeTemp(dir, loc.name, path, data, meta)
	if err != nil {
		return nil, err
	}
	if real, rerr := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", dir.fd())); rerr == nil && filepath.IsAbs(real) {
		dir.path = real // where the temp file really is, for a message about a run cut short
	}
	return &Pending{dir: dir, tmpName: tmpName, name: loc.name, path: path, data: data}, nil
}

// stagingDir is a Pending's directory, held from Stage until the rename is durable or
// the staged file discarded.
type stagingDir struct {
	hold *DirHold
	path string // its host path, for messages
}

func (d stagingDir) fd() int                 { return d.hold.fd() }
func (d stagingDir) join(name string) string { return filepath.Join(d.path, name) }
func (d stagingDir) close()                  { d.hold.Release() }
func (d stagingDir) rename(from, to string) error {
	return unix.Renameat(d.fd(), from, d.fd(), to)
}
func (d stagingDir) remove(name string) error { return unix.Unlinkat(d.fd(), name, 0) }

// create makes the new file name in the directory, never following a link there.
func (d stagingDir) create(name string) (*os.File, error) {
	fd, err := unix.Openat(d.fd(), name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), d.join(name)), nil
}
func (d stagingDir) sync() error {
	fd, err := unix.Openat(d.fd(), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Fsync(fd)
}
func (d stagingDir) openRegular(name, path string) (*os.File, error) {
	return openRegularAt(d.fd(), name, path)
}

// CheckWritable tells whether this process can replace path the way WriteAtomic does
// (a new file in the same directory, given the old file's owner and group, then renamed
// over it) and, if it cannot, who can. A missing file needs only a writable directory.
func (r Root) CheckWritable(path string) error {
	euid := os.Geteuid()
	if euid == 0 {
		return nil
	}
	meta, exists, err := r.Stat(path)
	if err != nil {
		return err
	}
	if exists && meta.UID != euid {
		who := r.DescribeUser(meta.UID) + " or as root (sudo)"
		if meta.UID == 0 {
			who = "root (sudo)"
		}
		return fmt.Errorf("permission denied: %s belongs to %s and plexform runs as %s; "+
			"run it as %s so the file keeps its owner",
			path, r.DescribeOwner(meta.UID, meta.GID), DescribeUser(euid), who)
	}
	if exists && !inGroup(meta.GID) {
		return fmt.Errorf("permission denied: %s has group %s, which %s is not in, so a rewrite "+
			"could not keep it; run plexform as root (sudo)", path, r.DescribeOwner(meta.UID, meta.GID), DescribeUser(euid))
	}
	loc, err := r.locate(path)
	if err != nil {
		return err
	}
	defer loc.close()
	if err := unix.Faccessat(loc.dir, ".", unix.W_OK|unix.X_OK, 0); err != nil {
		owner := "its owner"
		var st unix.Stat_t
		if unix.Fstat(loc.dir, &st) == nil {
			owner = r.DescribeOwner(int(st.Uid), int(st.Gid))
		}
		return fmt.Errorf("permission denied: plexform (as %s) cannot create files in %s, "+
			"which an atomic rewrite needs; run it as %s or as root (sudo)", DescribeUser(euid), filepath.Dir(path), owner)
	}
	return nil
}

// OpenDir opens the directory at path for reading, following symlinks inside the root.
func (r Root) OpenDir(path string) (*os.File, error) {
	loc, err := r.locate(path)
	if err != nil {
		return nil, err
	}
	defer loc.close()
	fd, err := unix.Openat(loc.dir, loc.name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// MkdirAll makes the directory at path and any missing parents (each with perm, as
// os.MkdirAll does), inside the root, and returns it open. An existing directory is
// left as it is; a symlink on the way is followed inside the root, and a missing
// directory it points at is made there.
func (r Root) MkdirAll(path string, perm fs.FileMode) (*os.File, error) {
	v, rel, err := r.resolver(path)
	if err != nil {
		return nil, err
	}
	defer v.close()
	v.mkdirPerm = uint32(perm.Perm())
	if v.mkdirPerm == 0 {
		v.mkdirPerm = 0o700
	}
	loc, _, err := v.walk(path, rel)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	defer loc.close()
	fd, err := unix.Openat(loc.dir, loc.name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Resolve returns the host path that path leads to inside the root, every symlink
// followed, for handing to a command that takes a path (s6-svc a service directory).
// Everything but the last component must exist.
func (r Root) Resolve(path string) (string, error) {
	v, rel, err := r.resolver(path)
	if err != nil {
		return "", err
	}
	defer v.close()
	loc, dir, err := v.walk(path, rel)
	if err != nil {
		return "", err
	}
	loc.close()
	if loc.name == "." {
		return dir, nil
	}
	return filepath.Join(dir, loc.name), nil
}

// modeOf turns a stat mode into an fs.FileMode (type and permission bits).
func modeOf(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & syscall.S_IFMT {
	case syscall.S_IFDIR:
		mode |= fs.ModeDir
	case syscall.S_IFLNK:
		mode |= fs.ModeSymlink
	case syscall.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		mode |= fs.ModeSocket
	case syscall.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		mode |= fs.ModeDevice
	}
	if m&syscall.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&syscall.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&syscall.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// Leftovers lists the temp files of ours (IsTempName) beside the file path leads to, in
// the directory a Stage of path would use: what a run cut short between Stage and Commit
// left there. Names only; RemoveLeftover removes one.
func (r Root) Leftovers(path string) ([]string, error) {
	loc, err := r.locate(path)
	if err != nil {
		return nil, err
	}
	defer loc.close()
	fd, err := unix.Openat(loc.dir, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: filepath.Dir(path), Err: err}
	}
	d := os.NewFile(uintptr(fd), filepath.Dir(path))
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		var st unix.Stat_t
		if IsTempName(loc.name, n) && unix.Fstatat(loc.dir, n, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && modeOf(uint32(st.Mode)).IsRegular() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// RemoveLeftover removes the temp file name (as Leftovers or Pending.Temp spell it, with
// or without its directory) beside the file path leads to; a name that is not one of
// ours is refused and left alone.
func (r Root) RemoveLeftover(path, name string) error {
	loc, err := r.locate(path)
	if err != nil {
		return err
	}
	defer loc.close()
	name = filepath.Base(name)
	if !IsTempName(loc.name, name) {
		return fmt.Errorf("%s is not a temp file plexform makes beside %s; left alone", name, path)
	}
	if err := unix.Unlinkat(loc.dir, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return &fs.PathError{Op: "remove", Path: filepath.Join(filepath.Dir(path), name), Err: err}
	}
	return nil
}
