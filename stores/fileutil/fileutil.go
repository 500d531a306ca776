// Package fileutil is the one place where file stores, backups and saved plans open,
// read and write files: writes atomic, keeping owner, group and mode; reads of regular
// files only, bounded in size, never blocking on a FIFO; every path resolved through a
// Root, which keeps -root a boundary and refuses symlinks other users planted (root.go).
package fileutil

import (
	"io"
	"io/fs"
	"os"

	"github.com/plexform/plexform/stores"
)

// Stat returns the owner, group and mode of the regular file at path on this machine's
// own file system (see Root). exists is false (and err nil) when the file is not there.
func Stat(path string) (meta stores.FileMeta, exists bool, err error) { return Root{}.Stat(path) }

// WriteAtomic replaces path on this machine's own file system (see Root.WriteAtomic).
func WriteAtomic(path string, data []byte, meta stores.FileMeta) error {
	return Root{}.WriteAtomic(path, data, meta)
}

// CheckWritable tells whether this process can replace path (see Root.CheckWritable).
func CheckWritable(path string) error { return Root{}.CheckWritable(path) }

// ReadHead reads at most the first limit bytes of path: for the small files of the
// kernel and the host (/proc/self/mountinfo, /etc/machine-id) whose size stat cannot
// tell (procfs says 0) and that no other user can replace.
func ReadHead(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

// ReadFile reads a regular file of at most limit bytes on this machine's own file system
// (see Root.ReadFile).
func ReadFile(path string, limit int64) ([]byte, stores.FileMeta, error) {
	return Root{}.ReadFile(path, limit)
}

func permBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// fileMode turns the stored permission bits back into an os.FileMode.
func fileMode(bits uint32) fs.FileMode {
	m := fs.FileMode(bits) & fs.ModePerm
	if bits&uint32(fs.ModeSetuid) != 0 {
		m |= fs.ModeSetuid
	}
	if bits&uint32(fs.ModeSetgid) != 0 {
		m |= fs.ModeSetgid
	}
	if bits&uint32(fs.ModeSticky) != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// WritePrivate writes a 0600 file atomically, owned by whoever runs plexform.
func WritePrivate(path string, data []byte) error {
	return WriteAtomic(path, data, stores.FileMeta{UID: -1, GID: -1, Mode: 0o600})
}

// DescribeOwner spells uid:gid with this machine's names: "plex:plex (999:999)". A
// file under a -root is named by its Root's DescribeOwner, from the tree's accounts.
func DescribeOwner(uid, gid int) string { return Root{}.DescribeOwner(uid, gid) }

// DescribeUser spells a uid with this machine's name for it: "plex (uid 999)".
func DescribeUser(uid int) string { return Root{}.DescribeUser(uid) }
