package state

import "golang.org/x/sys/unix"

// walkFlag opens the directories on the way to the backups dir: O_PATH needs only
// search permission, like the path lookup it stands in for.
const walkFlag = unix.O_PATH
