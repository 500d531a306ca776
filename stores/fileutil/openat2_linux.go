package fileutil

import (
	"errors"

	"golang.org/x/sys/unix"
)

// dirFlags open a directory only to resolve names in it.
const dirFlags = unix.O_PATH | unix.O_DIRECTORY

var errNoOpenat2 = errors.New("openat2 is not available")

// openat2Dir opens the directory rel inside root with the kernel's RESOLVE_IN_ROOT, or
// returns errNoOpenat2 on a kernel without openat2 (before 5.6) or a sandbox that
// forbids it, and the caller walks instead.
func openat2Dir(root int, rel string) (int, error) {
	how := &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(root, rel, how)
		switch {
		case errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) && tries == 0 && !openat2Works():
			return -1, errNoOpenat2
		case (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)) && tries < 100:
			// RESOLVE_IN_ROOT gives up with EAGAIN when a rename races the lookup.
			continue
		}
		return fd, err
	}
}

// openat2Works tells a sandbox's blanket EPERM from a real permission error.
func openat2Works() bool {
	fd, err := unix.Openat2(unix.AT_FDCWD, "/", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}
