//go:build unix

package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/stores/fileutil"
)

type trustedDir struct {
	path string
	fd   int // the directory, opened O_DIRECTORY|O_NOFOLLOW
	// accounts name the owners of its files: a -root tree's own (its files belong to
	// the tree's users), the zero Root's (this machine's) elsewhere.
	accounts fileutil.Root
}

const openNonblock = unix.O_NONBLOCK

// maxLinkHops bounds the symlinks followed on the way to a directory, as the kernel's
// own limit does (ELOOP).
const maxLinkHops = 40

// openTrustedDir opens the directory at path, creating it 0700 (and missing parents
// 0700) when create is set; with create unset a missing directory is fs.ErrNotExist.
// The path is walked one name at a time from /, each opened with O_NOFOLLOW. A symlink
// on the way is followed only when it lies in a directory that only root or this user
// can change (so only they could have made it: /var -> /private/var on macOS, /home ->
// /usr/home on FreeBSD); the directory itself must not be a symlink, must belong to
// this user and must be writable by no one else.
func openTrustedDir(path string, create bool) (*trustedDir, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("backups dir %s: %w", path, err)
	}
	euid := os.Geteuid()
	for hops := 0; ; hops++ {
		if hops > maxLinkHops {
			return nil, fmt.Errorf("backups dir %s: too many symlinks on the way: %w", path, syscall.ELOOP)
		}
		d, next, err := walkTrusted(path, abs, create, euid)
		if err != nil || d != nil {
			return d, err
		}
		abs = next
	}
}

// walkTrusted walks abs from /. It returns the open directory, or the path to walk
// next when it met a symlink it may follow.
func walkTrusted(orig, abs string, create bool, euid int) (*trustedDir, string, error) {
	parts := strings.Split(strings.Trim(filepath.Clean(abs), "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		return nil, "", fmt.Errorf("backups dir %s: / cannot be the backups directory: %w", orig, ErrUntrustedDir)
	}
	fd, err := unix.Open("/", walkFlag|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("backups dir %s: open /: %w", orig, err)
	}
	cur := "/"
	last := len(parts) - 1
	for i, name := range parts[:last] {
		nfd, err := openDirNoFollow(fd, name, false)
		if errors.Is(err, unix.ENOENT) && create {
			if err := unix.Mkdirat(fd, name, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
				unix.Close(fd)
				return nil, "", fmt.Errorf("backups dir %s: create %s: %w", orig, filepath.Join(cur, name), err)
			}
			nfd, err = openDirNoFollow(fd, name, false)
		}
		if err != nil {
			here := filepath.Join(cur, name)
			var dirSt, linkSt unix.Stat_t
			isLink := unix.Fstatat(fd, name, &linkSt, unix.AT_SYMLINK_NOFOLLOW) == nil && linkSt.Mode&unix.S_IFMT == unix.S_IFLNK
			if !isLink {
				unix.Close(fd)
				if errors.Is(err, unix.ENOENT) {
					return nil, "", fmt.Errorf("backups dir %s: %w", orig, fs.ErrNotExist)
				}
				return nil, "", fmt.Errorf("backups dir %s: open %s: %w", orig, here, err)
			}
			if err := unix.Fstat(fd, &dirSt); err != nil {
				unix.Close(fd)
				return nil, "", fmt.Errorf("backups dir %s: stat %s: %w", orig, cur, err)
			}
			if !linkTrusted(&dirSt, &linkSt, euid) {
				unix.Close(fd)
				return nil, "", fmt.Errorf("backups dir %s: %s is a symlink in %s, which %s can change, so plexform will not follow it; "+
					"fix: set backups.dir (or -dir) to a path without it, or remove the link: %w",
					orig, here, cur, writers(&dirSt), ErrUntrustedDir)
			}
			target, rerr := readlinkat(fd, name)
			unix.Close(fd)
			if rerr != nil {
				return nil, "", fmt.Errorf("backups dir %s: read link %s: %w", orig, here, rerr)
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(cur, target)
			}
			return nil, filepath.Join(append([]string{target}, parts[i+1:]...)...), nil
		}
		unix.Close(fd)
		fd, cur = nfd, filepath.Join(cur, name)
	}
	d, err := openTrustedChild(fd, cur, parts[last], orig, create, euid, fileutil.Root{})
	unix.Close(fd)
	return d, "", err
}

// openTrustedDirIn is openTrustedDir for a backups dir that may lie in a -root tree:
// there the directories on the way are resolved, and with create made (0700), inside the
// tree by the Root, so a symlinked parent (an absolute link, ../..) cannot lead outside
// it; the dir itself gets the same checks as anywhere.
func openTrustedDirIn(root fileutil.Root, path string, create bool) (*trustedDir, error) {
	if !root.Holds(path) {
		return openTrustedDir(path, create)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("backups dir %s: %w", path, err)
	}
	if abs == root.Dir() {
		return nil, fmt.Errorf("backups dir %s: the top of -root cannot be the backups directory: %w", path, ErrUntrustedDir)
	}
	parentPath, name := filepath.Dir(abs), filepath.Base(abs)
	var parent *os.File
	if create {
		parent, err = root.MkdirAll(parentPath, 0o700)
	} else {
		parent, err = root.OpenDir(parentPath)
	}
	if errors.Is(err, fs.ErrNotExist) && !create {
		return nil, fmt.Errorf("backups dir %s: %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("backups dir %s: %w", path, err)
	}
	defer parent.Close()
	return openTrustedChild(int(parent.Fd()), parentPath, name, path, create, os.Geteuid(), root)
}

// openTrustedChild opens the backups dir itself, name in the open directory parent (at
// host path cur), making it 0700 when create is set and it is missing. It must not be a
// symlink, must belong to this user and must be private (dirProblem). Its owners are
// named from accounts.
func openTrustedChild(parent int, cur, name, orig string, create bool, euid int, accounts fileutil.Root) (*trustedDir, error) {
	here := filepath.Join(cur, name)
	fd, err := openDirNoFollow(parent, name, true)
	if errors.Is(err, unix.ENOENT) && create {
		if err := unix.Mkdirat(parent, name, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("backups dir %s: create %s: %w", orig, here, err)
		}
		fd, err = openDirNoFollow(parent, name, true)
	}
	if err != nil {
		var st unix.Stat_t
		if unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return nil, fmt.Errorf("backups dir %s is a symlink, which plexform does not follow there (backups hold Plex's token); "+
				"fix: set backups.dir (or -dir) to the real directory, or replace the link with a directory of your own (mkdir -m 0700): %w", here, ErrUntrustedDir)
		}
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("backups dir %s: %w", orig, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("backups dir %s: open %s: %w", orig, here, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("backups dir %s: %w", orig, err)
	}
	if problem := dirProblem(&st, euid, here, accounts); problem != "" {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", problem, ErrUntrustedDir)
	}
	return &trustedDir{path: here, fd: fd, accounts: accounts}, nil
}

// openDirNoFollow opens a directory on the way with walkFlag, which needs only search
// permission (as a path lookup does), and the backups dir itself for reading.
func openDirNoFollow(dirfd int, name string, last bool) (int, error) {
	flag := walkFlag
	if last {
		flag = unix.O_RDONLY
	}
	for {
		fd, err := unix.Openat(dirfd, name, flag|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// linkTrusted: a symlink is as trustworthy as the directory holding it. Only root or
// this user may own both, and the directory must be writable by no one else, or be
// sticky (like /tmp), where others cannot replace a link they do not own.
func linkTrusted(dir, link *unix.Stat_t, euid int) bool {
	mine := func(uid uint32) bool { return uid == 0 || int(uid) == euid }
	if !mine(dir.Uid) || !mine(link.Uid) {
		return false
	}
	return dir.Mode&0o022 == 0 || dir.Mode&unix.S_ISVTX != 0
}

// dirProblem says why an existing backups directory is not trusted, with the command
// that fixes it; "" when it is fine. Its owner is named from accounts (the tree's, under
// -root); the user who runs plexform is this machine's.
func dirProblem(st *unix.Stat_t, euid int, path string, accounts fileutil.Root) string {
	perm := st.Mode & 0o7777
	if int(st.Uid) != euid {
		return fmt.Sprintf("backups dir %s belongs to %s, not to %s who runs plexform, and backups hold Plex's token; "+
			"fix: remove it (plexform makes a new one), or if everything in it is yours: chown -R %d %s && chmod 0700 %s",
			path, accounts.DescribeUser(int(st.Uid)), fileutil.DescribeUser(euid), euid, shellquote.Arg(path), shellquote.Arg(path))
	}
	if perm&0o077 != 0 {
		what := "readable"
		if perm&0o022 != 0 {
			what = "writable"
		}
		return fmt.Sprintf("backups dir %s is %s by its group or others (mode %04o), and backups hold Plex's token; "+
			"fix: chmod 0700 %s (and check that nothing in it was put there by someone else)", path, what, perm, shellquote.Arg(path))
	}
	return ""
}

func writers(st *unix.Stat_t) string {
	switch {
	case st.Mode&0o002 != 0:
		return "every user"
	case st.Mode&0o020 != 0:
		return fmt.Sprintf("group %d", st.Gid)
	}
	return fileutil.DescribeUser(int(st.Uid))
}

func readlinkat(dirfd int, name string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", err
	}
	if n == len(buf) {
		return "", fmt.Errorf("link target too long")
	}
	return string(buf[:n]), nil
}

func (d *trustedDir) join(name string) string { return filepath.Join(d.path, name) }

// open opens a name in the directory; the last component is never followed.
func (d *trustedDir) open(name string, flag int, perm uint32) (*os.File, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	for {
		fd, err := unix.Openat(d.fd, name, flag|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: d.join(name), Err: err}
		}
		return os.NewFile(uintptr(fd), d.join(name)), nil
	}
}

// lstat returns the type of the entry name, without following it.
func (d *trustedDir) lstat(name string) (fs.FileMode, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return 0, &fs.PathError{Op: "lstat", Path: d.join(name), Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return 0, nil
	case unix.S_IFDIR:
		return fs.ModeDir, nil
	case unix.S_IFLNK:
		return fs.ModeSymlink, nil
	}
	return fs.ModeIrregular, nil
}

func (d *trustedDir) remove(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := unix.Unlinkat(d.fd, name, 0); err != nil {
		return &fs.PathError{Op: "remove", Path: d.join(name), Err: err}
	}
	return nil
}

func (d *trustedDir) rename(from, to string) error {
	if err := checkName(from); err != nil {
		return err
	}
	if err := checkName(to); err != nil {
		return err
	}
	if err := unix.Renameat(d.fd, from, d.fd, to); err != nil {
		return &fs.PathError{Op: "rename", Path: d.join(from), Err: err}
	}
	return nil
}

// names lists the directory, through a fresh descriptor so each listing starts at the top.
func (d *trustedDir) names() ([]string, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.path, err)
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.path, err)
	}
	return names, nil
}

// sync makes renames and removals in the directory durable.
func (d *trustedDir) sync() error {
	if err := unix.Fsync(d.fd); err != nil {
		return fmt.Errorf("sync %s: %w", d.path, err)
	}
	return nil
}

func (d *trustedDir) close() error { return unix.Close(d.fd) }

// stateFileProblem says why a state file in the backups dir is not trusted, with the
// command that fixes it; "" when it is fine. plexform writes them 0600 as the user it
// runs as, so another owner, or access for the group or others, means someone else
// made or changed it: the same rule as for the directory (dirProblem), and its owner
// is named from the same accounts.
func (d *trustedDir) stateFileProblem(fi fs.FileInfo, path string) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Sprintf("cannot tell who owns %s", path)
	}
	euid := os.Geteuid()
	if int(st.Uid) != euid {
		return fmt.Sprintf("%s belongs to %s, not to %s who runs plexform, so plexform did not write it and will not believe it; "+
			"move it away (and check the host by hand if it is a journal)", path, d.accounts.DescribeUser(int(st.Uid)), fileutil.DescribeUser(euid))
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Sprintf("%s has mode %04o, and plexform writes its state files 0600: someone else may have written it; "+
			"if you know its content is plexform's: chmod 0600 %s, else move it away", path, uint32(perm), shellquote.Arg(path))
	}
	return ""
}

// ownedByMe reports whether an open file belongs to this user.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
