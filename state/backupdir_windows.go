//go:build windows

package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows"

	"github.com/plexform/plexform/stores/fileutil"
)

// On Windows no component of the path may be a symlink or a junction, the directory
// must be private by its owner and ACL (backupdir_acl_windows.go; made so when plexform
// creates it), and everything inside is opened through an os.Root, which refuses names
// that lead out of it.
type trustedDir struct {
	path string
	root *os.Root
}

const openNonblock = 0

// openTrustedDirIn: the walk below refuses every link on the way, inside a -root tree
// or not, so no link can lead a backups dir out of the tree.
func openTrustedDirIn(_ fileutil.Root, path string, create bool) (*trustedDir, error) {
	return openTrustedDir(path, create)
}

func openTrustedDir(path string, create bool) (*trustedDir, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("backups dir %s: %w", path, err)
	}
	vol := filepath.VolumeName(abs)
	cur := vol + `\`
	rest := strings.Trim(abs[len(vol):], `\/`)
	if rest == "" {
		return nil, fmt.Errorf("backups dir %s: a drive's top cannot be the backups directory: %w", path, ErrUntrustedDir)
	}
	for _, name := range strings.FieldsFunc(rest, func(r rune) bool { return r == '\\' || r == '/' }) {
		cur = filepath.Join(cur, name)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) && create {
			if err := mkdirPrivate(cur); err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("backups dir %s: create %s: %w", path, cur, err)
			}
			fi, err = os.Lstat(cur)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("backups dir %s: %w", path, fs.ErrNotExist)
		}
		if err != nil {
			return nil, fmt.Errorf("backups dir %s: %w", path, err)
		}
		if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return nil, fmt.Errorf("backups dir %s: %s is a symlink or junction, which plexform does not follow on the way to its backups; "+
				"fix: set backups.dir (or -dir) to the real directory: %w", path, cur, ErrUntrustedDir)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("backups dir %s: %s is not a directory", path, cur)
		}
	}
	problem, err := dirACLProblem(abs)
	if err != nil {
		return nil, fmt.Errorf("backups dir %s: %w", path, err)
	}
	if problem != "" {
		return nil, fmt.Errorf("%s: %w", problem, ErrUntrustedDir)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("backups dir %s: %w", path, err)
	}
	return &trustedDir{path: abs, root: root}, nil
}

func (d *trustedDir) join(name string) string { return filepath.Join(d.path, name) }

// open refuses a name that is a link; os.Root keeps any other name inside the directory.
func (d *trustedDir) open(name string, flag int, perm uint32) (*os.File, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if flag&os.O_EXCL == 0 {
		if fi, err := d.root.Lstat(name); err == nil && fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return nil, &fs.PathError{Op: "open", Path: d.join(name), Err: errors.New("is a link, which plexform does not follow")}
		}
	}
	return d.root.OpenFile(name, flag, fs.FileMode(perm))
}

func (d *trustedDir) lstat(name string) (fs.FileMode, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	fi, err := d.root.Lstat(name)
	if err != nil {
		return 0, err
	}
	return fi.Mode().Type(), nil
}

func (d *trustedDir) remove(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	err := d.root.Remove(name)
	if errors.Is(err, windows.ERROR_INVALID_FUNCTION) {
		// os.Root deletes with FileDispositionInformationEx and falls back only on the
		// statuses Windows gives; Wine 8 answers "not implemented", so every remove failed
		// there. A plain delete of the same name is as safe: the directory's path holds no
		// link (checked at open), and deleting a link deletes the link, not its target.
		err = os.Remove(d.join(name))
	}
	return err
}

func (d *trustedDir) rename(from, to string) error {
	if err := checkName(from); err != nil {
		return err
	}
	if err := checkName(to); err != nil {
		return err
	}
	return d.root.Rename(from, to)
}

func (d *trustedDir) names() ([]string, error) {
	f, err := d.root.Open(".")
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.path, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.path, err)
	}
	return names, nil
}

// sync: Windows has no fsync for a directory; NTFS journals its renames.
func (d *trustedDir) sync() error { return nil }

func (d *trustedDir) close() error { return d.root.Close() }

// stateFileProblem: openTrustedDir checked that no one else may make a file in the
// directory (dirACLProblem), so a state file in it was made by this user or an
// administrator, which is what the unix checks of owner and mode establish.
func (d *trustedDir) stateFileProblem(fs.FileInfo, string) string { return "" }

// ownedByMe: openTrustedDir checked that no one else may make a file in the directory
// (dirACLProblem), so every file in it is of this user or an administrator.
func ownedByMe(fs.FileInfo) bool { return true }
