// Package fileutil is the one place where file stores, backups and saved plans write
// files: atomically, keeping owner, group and mode.
package fileutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"

	"github.com/plexform/plexform/stores"
)

// Stat returns the owner, group and mode of path. exists is false (and err nil) when
// the file is not there.
func Stat(path string) (meta stores.FileMeta, exists bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return stores.FileMeta{Path: path}, false, nil
	}
	if err != nil {
		return stores.FileMeta{}, false, fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return stores.FileMeta{}, false, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	uid, gid := ownerOf(fi)
	return stores.FileMeta{Path: path, UID: uid, GID: gid, Mode: uint32(permBits(fi.Mode()))}, true, nil
}

func permBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// WriteAtomic replaces path with data so that a reader sees either the old file or the
// new one, never a mix, and a crash leaves no half-written file in its place. The new
// file gets meta's owner, group and mode. The temp file lives in the same directory so
// the rename cannot cross file systems.
func WriteAtomic(path string, data []byte, meta stores.FileMeta) error {
	p, err := Stage(path, data, meta)
	if err != nil {
		return err
	}
	if err := p.rename(); err != nil {
		return err
	}
	return p.Durable()
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

// MkdirPrivate makes dir (and parents) and makes sure dir itself is 0700: backups hold tokens.
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("make %s private (mode 0700): %w", dir, errors.Unwrap(err))
	}
	return nil
}

// WritePrivate writes a 0600 file atomically, owned by whoever runs plexform.
func WritePrivate(path string, data []byte) error {
	return WriteAtomic(path, data, stores.FileMeta{UID: -1, GID: -1, Mode: 0o600})
}

// DescribeOwner spells uid:gid with names where the system knows them: "plex:plex (999:999)".
func DescribeOwner(uid, gid int) string {
	u, g := strconv.Itoa(uid), strconv.Itoa(gid)
	if uid >= 0 {
		if lu, err := user.LookupId(u); err == nil {
			u = lu.Username
		}
	}
	if gid >= 0 {
		if lg, err := user.LookupGroupId(g); err == nil {
			g = lg.Name
		}
	}
	return fmt.Sprintf("%s:%s (%d:%d)", u, g, uid, gid)
}

// DescribeUser spells a uid with its name where known: "plex (uid 999)".
func DescribeUser(uid int) string {
	if lu, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return fmt.Sprintf("%s (uid %d)", lu.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}
