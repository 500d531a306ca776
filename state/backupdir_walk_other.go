//go:build unix && !linux && !darwin && !freebsd

package state

import "golang.org/x/sys/unix"

// walkFlag: without O_PATH or O_SEARCH, the directories on the way are opened for
// reading, so each must be readable by this user.
const walkFlag = unix.O_RDONLY
