//go:build unix

package fileutil

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/plexform/plexform/stores"
)

func ownerOf(fi fs.FileInfo) (uid, gid int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

// chownIfNeeded gives the temp file the original's owner. A fresh file already belongs
// to us, so only a different owner needs a chown (and root, or group membership).
func chownIfNeeded(f *os.File, meta stores.FileMeta) error {
	if meta.UID < 0 && meta.GID < 0 {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	uid, gid := ownerOf(fi)
	if (meta.UID < 0 || meta.UID == uid) && (meta.GID < 0 || meta.GID == gid) {
		return nil
	}
	return f.Chown(meta.UID, meta.GID)
}

// CheckWritable tells whether this process can replace path the way WriteAtomic does
// (a new file in the same directory, given the old file's owner and group, then renamed
// over it) and, if it cannot, who can. A missing file needs only a writable directory.
func CheckWritable(path string) error {
	euid := os.Geteuid()
	if euid == 0 {
		return nil
	}
	meta, exists, err := Stat(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if exists && meta.UID != euid {
		who := DescribeUser(meta.UID) + " or as root (sudo)"
		if meta.UID == 0 {
			who = "root (sudo)"
		}
		return fmt.Errorf("permission denied: %s belongs to %s and plexform runs as %s; "+
			"run it as %s so the file keeps its owner",
			path, DescribeOwner(meta.UID, meta.GID), DescribeUser(euid), who)
	}
	if exists && !inGroup(meta.GID) {
		return fmt.Errorf("permission denied: %s has group %s, which %s is not in, so a rewrite "+
			"could not keep it; run plexform as root (sudo)", path, DescribeOwner(meta.UID, meta.GID), DescribeUser(euid))
	}
	if err := syscall.Access(dir, 2 /* W_OK */ |1 /* X_OK */); err != nil {
		owner := "its owner"
		if dmeta, derr := os.Stat(dir); derr == nil {
			duid, dgid := ownerOf(dmeta)
			owner = DescribeOwner(duid, dgid)
		}
		return fmt.Errorf("permission denied: plexform (as %s) cannot create files in %s, "+
			"which an atomic rewrite needs; run it as %s or as root (sudo)", DescribeUser(euid), dir, owner)
	}
	return nil
}

func inGroup(gid int) bool {
	if gid == os.Getegid() {
		return true
	}
	groups, err := os.Getgroups()
	if err != nil {
		return false
	}
	for _, g := range groups {
		if g == gid {
			return true
		}
	}
	return false
}
