//go:build unix

package fileutil

import (
	"io/fs"
	"os"
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
