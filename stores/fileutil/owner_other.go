//go:build !unix

package fileutil

import "io/fs"

// Windows files carry ACLs, not a uid/gid pair; the temp file inherits the directory's.
func ownerOf(fs.FileInfo) (uid, gid int) { return -1, -1 }
