//go:build !unix

package fileutil

import (
	"io/fs"
	"os"

	"github.com/plexform/plexform/stores"
)

// Windows files carry ACLs, not a uid/gid pair; the temp file inherits the directory's.
func ownerOf(fs.FileInfo) (uid, gid int) { return -1, -1 }

// chownIfNeeded: the temp file already has what Windows gives a new file in its directory.
func chownIfNeeded(*os.File, stores.FileMeta) error { return nil }
