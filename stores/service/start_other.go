//go:build !windows

package service

import (
	"errors"
	"syscall"
)

// startFailedTransiently tells whether a process failed to start for a reason that
// passes: fork refused for the moment (EAGAIN: the process table or a memory limit full).
func startFailedTransiently(err error) bool { return errors.Is(err, syscall.EAGAIN) }
