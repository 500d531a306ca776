//go:build unix

package fileutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// maxLinks bounds the symlinks one path may pass through, as the kernel's own limit does.
const maxLinks = 40

// resolver resolves paths below one open directory: the root of a tree, or this
// machine's /.
type resolver struct {
	root    int    // the root directory
	base    string // its host path, for messages
	protect bool   // this machine's own /: refuse symlinks of other users (see Root)
	euid    int
	// mkdirPerm, when set, makes each missing directory on the way (MkdirAll).
	mkdirPerm uint32
}

// located is where a path leads: the directory that holds it (an fd the caller closes)
// and its name there, "." when the path is a directory itself.
type located struct {
	dir  int
	name string
}

func (l located) close() { unix.Close(l.dir) }

// forceWalk makes every resolution take the component walk, as on a kernel without
// openat2; tests set it to cover both.
var forceWalk atomic.Bool

func (r Root) resolver(path string) (*resolver, string, error) {
	base, rel, rooted, err := r.split(path)
	if err != nil {
		return nil, "", err
	}
	// The root itself is followed as given: it is the directory the user named.
	fd, err := unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", &fs.PathError{Op: "open", Path: base, Err: err}
	}
	return &resolver{root: fd, base: base, protect: !rooted, euid: os.Geteuid()}, rel, nil
}

func (v *resolver) close() { unix.Close(v.root) }

// locate finds where path leads, following every symlink (the last one too) inside the
// root.
func (r Root) locate(path string) (located, error) {
	v, rel, err := r.resolver(path)
	if err != nil {
		return located{}, err
	}
	defer v.close()
	if !v.protect && !forceWalk.Load() {
		loc, err := v.walkOpenat2(path, rel)
		if !errors.Is(err, errNoOpenat2) {
			return loc, err
		}
	}
	loc, _, err := v.walk(path, rel)
	return loc, err
}

// walkOpenat2 lets the kernel resolve the directory part inside the root
// (RESOLVE_IN_ROOT) and follows a symlink in the last component itself, so that a
// symlinked settings file is written where it points, in the directory that holds it.
func (v *resolver) walkOpenat2(path, rel string) (located, error) {
	for links := 0; ; links++ {
		if links > maxLinks {
			return located{}, &fs.PathError{Op: "resolve", Path: path, Err: unix.ELOOP}
		}
		dirRel, name := splitLast(rel)
		fd, err := openat2Dir(v.root, dirRel)
		if err != nil {
			if errors.Is(err, errNoOpenat2) {
				return located{}, err
			}
			return located{}, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		if name == "." {
			return located{dir: fd, name: name}, nil
		}
		target, isLink, err := readlink(fd, name)
		if err != nil || !isLink {
			// A missing last component is a file that is not there (yet).
			return located{dir: fd, name: name}, nil
		}
		unix.Close(fd)
		if strings.HasPrefix(target, "/") {
			rel = target
		} else {
			rel = dirRel + "/" + target // not cleaned: .. after a symlinked dir is physical
		}
	}
}

// splitLast splits a slash path into its directory and last component without cleaning
// it; a path ending in . or .. is a directory itself (name ".").
func splitLast(rel string) (dir, name string) {
	rel = strings.TrimRight(rel, "/")
	i := strings.LastIndexByte(rel, '/')
	dir, name = rel[:i+1], rel[i+1:]
	if dir == "" {
		dir = "."
	}
	if name == "" || name == "." || name == ".." {
		return rel + "/.", "."
	}
	return dir, name
}

// walk resolves rel one component at a time: each directory opened with O_NOFOLLOW
// relative to the one before, each symlink read and its target walked in its place (an
// absolute one from the root again), .. never above the root. It also returns the host
// path of the directory it ends in.
//
// On this machine's / (protect) a symlink is followed only when root, the user running
// plexform, or the owner of what it points at made it: what a link points at is known
// once its target is walked, so each followed link waits on a stack until then.
func (v *resolver) walk(path, rel string) (located, string, error) {
	type level struct {
		fd   int // -1 for the root, which v owns
		name string
	}
	stack := []level{{fd: -1}}
	top := func() int {
		if fd := stack[len(stack)-1].fd; fd >= 0 {
			return fd
		}
		return v.root
	}
	where := func() string {
		names := []string{v.base}
		for _, l := range stack[1:] {
			names = append(names, l.name)
		}
		return filepath.Join(names...)
	}
	popTo := func(n int) {
		for len(stack) > n {
			if fd := stack[len(stack)-1].fd; fd >= 0 {
				unix.Close(fd)
			}
			stack = stack[:len(stack)-1]
		}
	}
	fail := func(err error) (located, string, error) {
		popTo(1)
		return located{}, "", err
	}
	var checks []pendingLink
	queue := components(rel)
	name := "."
	links := 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case ".":
		case "..":
			if len(stack) > 1 {
				popTo(len(stack) - 1)
			}
		default:
			target, isLink, err := readlink(top(), c)
			if errors.Is(err, unix.ENOENT) && v.mkdirPerm != 0 {
				if err = unix.Mkdirat(top(), c, v.mkdirPerm); errors.Is(err, unix.EEXIST) {
					err = nil // made meanwhile: open it below like any directory
				}
			}
			switch {
			case err != nil && errors.Is(err, unix.ENOENT) && len(queue) == 0:
				name = c // the file is not there (yet)
			case err != nil:
				return fail(&fs.PathError{Op: "open", Path: filepath.Join(where(), c), Err: err})
			case isLink:
				if links++; links > maxLinks {
					return fail(&fs.PathError{Op: "resolve", Path: path, Err: unix.ELOOP})
				}
				if v.protect {
					var st unix.Stat_t
					if err := unix.Fstatat(top(), c, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
						return fail(&fs.PathError{Op: "lstat", Path: filepath.Join(where(), c), Err: err})
					}
					checks = append(checks, pendingLink{left: len(queue), uid: st.Uid, link: filepath.Join(where(), c)})
				}
				if strings.HasPrefix(target, "/") {
					popTo(1)
				}
				queue = append(components(target), queue...)
			case len(queue) == 0:
				name = c
			default:
				fd, err := unix.Openat(top(), c, dirFlags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
				if err != nil {
					return fail(&fs.PathError{Op: "open", Path: filepath.Join(where(), c), Err: err})
				}
				stack = append(stack, level{fd: fd, name: c})
			}
		}
		// Links whose targets are walked now point at the directory on top (the last
		// component, a file, is checked below).
		for name == "." && len(checks) > 0 && checks[len(checks)-1].left == len(queue) {
			var st unix.Stat_t
			if err := unix.Fstat(top(), &st); err != nil {
				return fail(err)
			}
			if err := v.allowed(path, checks[len(checks)-1], st.Uid, where()); err != nil {
				return fail(err)
			}
			checks = checks[:len(checks)-1]
		}
	}
	if len(checks) > 0 {
		// The rest lead to the last component; a missing one would be made in top.
		var st unix.Stat_t
		err := unix.Fstatat(top(), name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
			err = unix.Fstat(top(), &st)
		}
		if err != nil {
			return fail(err)
		}
		for _, c := range checks {
			if err := v.allowed(path, c, st.Uid, filepath.Join(where(), name)); err != nil {
				return fail(err)
			}
		}
	}
	dir := where()
	fd := stack[len(stack)-1].fd
	stack = stack[:len(stack)-1]
	popTo(0)
	if fd < 0 {
		var err error
		if fd, err = unix.FcntlInt(uintptr(v.root), unix.F_DUPFD_CLOEXEC, 0); err != nil {
			return located{}, "", err
		}
	}
	return located{dir: fd, name: name}, dir, nil
}

// pendingLink is a followed symlink whose target is not walked yet.
type pendingLink struct {
	left int    // the target is walked when this many components are left
	uid  uint32 // the link's owner
	link string // its host path, for the message
}

// allowed applies the protected_symlinks rule to one followed link.
func (v *resolver) allowed(path string, c pendingLink, targetUID uint32, target string) error {
	if c.uid == 0 || int(c.uid) == v.euid || c.uid == targetUID {
		return nil
	}
	return fmt.Errorf("%s: refusing the symlink %s: it belongs to %s, who does not own what it points at (%s, owned by %s); "+
		"plexform follows a link only when root, the user running plexform or the owner of its target made it, "+
		"so that a link planted by another user cannot make it read or rewrite someone else's file. "+
		"Replace the link with the file itself, or have root make it",
		path, c.link, DescribeUser(int(c.uid)), target, DescribeUser(int(targetUID)))
}

// components splits a slash path; empty components (a leading /, //) are dropped.
func components(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// readlink reads a symlink at name in dir; isLink is false (and err nil) for anything
// else that is there.
func readlink(dir int, name string) (target string, isLink bool, err error) {
	for size := 256; size <= 1<<16; size *= 4 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dir, name, buf)
		if errors.Is(err, unix.EINVAL) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		if n < size {
			return string(buf[:n]), true, nil
		}
	}
	return "", false, unix.ENAMETOOLONG
}
