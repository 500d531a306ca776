//go:build unix && !linux

package fileutil

import (
	"errors"

	"golang.org/x/sys/unix"
)

// dirFlags open a directory only to resolve names in it.
const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY

var errNoOpenat2 = errors.New("openat2 is not available")

// openat2Dir: only Linux has openat2; elsewhere every path is walked.
func openat2Dir(int, string) (int, error) { return -1, errNoOpenat2 }

func openat2Works() bool { return false }
