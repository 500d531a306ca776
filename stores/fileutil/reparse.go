package fileutil

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// refuseReparse walks rel below base one component at a time and refuses a symlink or
// junction (any reparse point Go does not read as a plain file or directory) on the way.
// Root uses it where there is no openat (root_other.go: Windows). Windows has no openat to follow a link inside a -root tree the way the tree's host
// would, and who made a junction is not the kernel's business as protected_symlinks
// makes it on Linux, so on Windows a store's path may pass through none. base itself
// (the -root directory, or a drive's top) is used as the user named it.
func refuseReparse(base, rel, path string) error {
	cur := base
	for _, c := range strings.FieldsFunc(rel, func(r rune) bool { return r == '\\' || r == '/' }) {
		if c == "." {
			continue
		}
		cur = filepath.Join(cur, c)
		fi, err := os.Lstat(cur)
		if err != nil {
			return nil // a missing name (or one we may not see) is for the open itself to report
		}
		if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return fmt.Errorf("%s: %s is a symlink or junction, which plexform does not follow on Windows (a link another user made "+
				"could lead it to a file of someone else's, or out of -root); name the real path instead", path, cur)
		}
	}
	return nil
}
