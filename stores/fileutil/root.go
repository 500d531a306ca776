package fileutil

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// MaxFileSize bounds every store file plexform reads (256 MiB). Plex's settings are a few
// kilobytes; the bound is there so that a planted sparse or endless file is an error, not
// an exhausted memory while Plex is stopped.
const MaxFileSize = 256 << 20

// Root is the file system a plan's host paths live in.
//
// The zero Root is this machine's own /. Paths resolve as usual, except that a symlink is
// followed only when root, the user running plexform, or the owner of what it points at
// made it (the spirit of the kernel's protected_symlinks): plexform runs as root in
// directories other users can write, and a link planted there must not make it read or
// rewrite a file of someone else's.
//
// A Root made by RootAt(dir) stands for the / of another host's tree (-root DIR: a mounted
// disk, a container volume). Every path below dir resolves inside dir with symlinks
// followed as if dir were /: an absolute link target starts again at dir, and .. stops at
// dir. On Linux this is openat2(RESOLVE_IN_ROOT); elsewhere, and where the kernel lacks
// it, an equivalent walk one component at a time (O_NOFOLLOW, readlinkat, at most 40
// links).
//
// Root's methods take host paths as the rest of plexform spells them: inside dir for a
// rooted path (Path makes one), or any other path, which is this machine's own (a file
// named relative to the plan file, say).
type Root struct {
	dir string // "" is this machine's /
}

// RootAt returns the Root for -root dir; "" and "/" are this machine's own /.
func RootAt(dir string) Root {
	if dir == "" {
		return Root{}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if dir = filepath.Clean(dir); isFSRoot(dir) {
		return Root{}
	}
	return Root{dir: dir}
}

// Dir is the root directory, "" for this machine's /.
func (r Root) Dir() string { return r.dir }

// Path spells an absolute host path of the plan inside the root. A .. that would climb
// above / stays at /, as it does on the host itself.
func (r Root) Path(p string) string {
	if r.dir == "" {
		return p
	}
	return filepath.Join(r.dir, filepath.Clean(string(filepath.Separator)+p))
}

// Holds reports whether path lies in the root's tree, so that Root's methods resolve it
// there (as the tree's own host would); false for this machine's /, which holds no tree.
func (r Root) Holds(path string) bool {
	_, _, rooted, err := r.split(path)
	return err == nil && rooted
}

// split tells where path resolves: inside the root (rooted, with rel relative to it), or on
// this machine's own file system (rel relative to its /).
func (r Root) split(path string) (base, rel string, rooted bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", false, fmt.Errorf("%s: %w", path, err)
	}
	if r.dir != "" {
		if abs == r.dir {
			return r.dir, ".", true, nil
		}
		if rest, ok := strings.CutPrefix(abs, r.dir+string(filepath.Separator)); ok {
			return r.dir, rest, true, nil
		}
	}
	vol := filepath.VolumeName(abs)
	return vol + string(filepath.Separator), strings.TrimLeft(abs[len(vol):], `/\`), false, nil
}

func isFSRoot(dir string) bool {
	return dir == filepath.VolumeName(dir)+string(filepath.Separator)
}

// errNotRegular says what a path is instead of a regular file.
func errNotRegular(path string, m fs.FileMode) error {
	return fmt.Errorf("%s is %s, not a regular file; plexform reads and writes only regular files", path, describeType(m))
}

func describeType(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	case t&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// errTooLarge names the limit that a file's size passes.
func errTooLarge(path string, size, limit int64) error {
	return fmt.Errorf("%s is %d bytes, more than the %d (%s) plexform reads; a Plex settings file is a few kilobytes, so this one is not what the plan means", path, size, limit, humanSize(limit))
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadDirNames lists the names in the directory at path.
func (r Root) ReadDirNames(path string) ([]string, error) {
	d, err := r.OpenDir(path)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

// Glob returns the paths matching pattern (filepath.Match syntax in each component), as
// filepath.Glob does, but listing directories inside the root: a symlinked directory on
// the way is followed as the host the tree belongs to would follow it.
func (r Root) Glob(pattern string) []string {
	if !hasMeta(pattern) {
		if _, err := r.TypeOf(pattern); err == nil {
			return []string{pattern}
		}
		return nil
	}
	dir, file := filepath.Split(pattern)
	dir = filepath.Clean(dir)
	dirs := []string{dir}
	if hasMeta(dir) {
		dirs = r.Glob(dir)
	}
	var out []string
	for _, d := range dirs {
		names, err := r.ReadDirNames(d)
		if err != nil {
			continue
		}
		sort.Strings(names)
		for _, n := range names {
			if ok, _ := filepath.Match(file, n); ok {
				out = append(out, filepath.Join(d, n))
			}
		}
	}
	return out
}

func hasMeta(p string) bool {
	if filepath.Separator == '\\' {
		return strings.ContainsAny(p, `*?[`) // \ separates, as in filepath.Glob
	}
	return strings.ContainsAny(p, `*?[\`)
}
