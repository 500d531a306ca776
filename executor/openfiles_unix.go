//go:build unix

package executor

import "syscall"

// openFilesLimit is the soft limit on open files (Go raises it to the hard limit at
// start), or 0 when it cannot be read.
func openFilesLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return uint64(lim.Cur)
}
