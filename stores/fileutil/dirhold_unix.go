//go:build unix

package fileutil

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// A DirHold is one holder's share of an open directory. Everything in this process that
// must keep a directory open until the end of an apply (a store's lock, and the write
// staged in it, which must be renamed in the directory that was resolved when it was
// staged) shares one descriptor for it: an apply of 10,000 stores then keeps 10,000
// directories open, not 20,000, which is what fits under common limits on open files.
//
// Directories are told apart by device and inode, which stay the directory's own while
// it is held open, whatever is renamed or planted on the way to it.
type DirHold struct {
	dir      *sharedDir
	released bool // guarded by heldDirs.mu
}

type sharedDir struct {
	f    *os.File
	fd   int // f's
	key  dirKey
	refs int
}

type dirKey struct{ dev, ino uint64 }

var heldDirs = struct {
	mu sync.Mutex
	m  map[dirKey]*sharedDir
}{m: map[dirKey]*sharedDir{}}

// HoldDir takes f, a directory opened for reading, and returns a hold on it that later
// holds in this process may share (see holdDirFD). It never joins an earlier hold: each
// call keeps its own open file description, so a flock on File excludes every other
// holder, in this process too. Only the first hold on a directory is offered for
// sharing; a later one, while the first is held, stays private.
func HoldDir(f *os.File) (*DirHold, error) {
	d, err := newSharedDir(f)
	if err != nil {
		return nil, err
	}
	heldDirs.mu.Lock()
	defer heldDirs.mu.Unlock()
	if _, taken := heldDirs.m[d.key]; !taken {
		heldDirs.m[d.key] = d
	}
	return &DirHold{dir: d}, nil
}

// holdDirFD holds a directory that fileutil resolved (on Linux opened O_PATH, which can
// be used for *at calls but not locked): it joins a hold that HoldDir made, if one holds
// the same directory, and otherwise keeps fd to itself, unshared.
func holdDirFD(fd int, name string) (*DirHold, error) {
	d, err := newSharedDir(os.NewFile(uintptr(fd), name))
	if err != nil {
		return nil, err
	}
	heldDirs.mu.Lock()
	defer heldDirs.mu.Unlock()
	if shared, ok := heldDirs.m[d.key]; ok {
		shared.refs++
		d.f.Close()
		return &DirHold{dir: shared}, nil
	}
	return &DirHold{dir: d}, nil
}

// newSharedDir checks that f is a directory and reads its identity; f is closed on error.
func newSharedDir(f *os.File) (*sharedDir, error) {
	fd := int(f.Fd()) // once: Fd takes a reference on every call
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		f.Close()
		return nil, fmt.Errorf("%s is not a directory", f.Name())
	}
	key := dirKey{uint64(st.Dev), uint64(st.Ino)} // their types differ by platform
	return &sharedDir{f: f, fd: fd, key: key, refs: 1}, nil
}

// File is the shared open directory. Do not close it: Release does, once nobody holds it.
func (h *DirHold) File() *os.File { return h.dir.f }

// Identity is the directory's device and inode.
func (h *DirHold) Identity() (dev, ino uint64) { return h.dir.key.dev, h.dir.key.ino }

// fd is File's descriptor, for the *at calls.
func (h *DirHold) fd() int { return h.dir.fd }

// Release gives up this hold; the directory is closed when the last hold is released.
// A second Release of the same hold does nothing, so a hold cannot close a descriptor
// that another still uses.
func (h *DirHold) Release() {
	heldDirs.mu.Lock()
	defer heldDirs.mu.Unlock()
	if h.released {
		return
	}
	h.released = true
	d := h.dir
	if d.refs--; d.refs > 0 {
		return
	}
	if heldDirs.m[d.key] == d {
		delete(heldDirs.m, d.key)
	}
	d.f.Close()
}
