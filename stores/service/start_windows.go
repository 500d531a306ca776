package service

import (
	"errors"

	"golang.org/x/sys/windows"
)

// startFailedTransiently tells whether a process failed to start for a reason that
// passes: Wine's CreateProcess fails now and then with ERROR_INTERNAL_ERROR while
// wineserver is busy (seen in CI, starting reg.exe).
func startFailedTransiently(err error) bool { return errors.Is(err, windows.ERROR_INTERNAL_ERROR) }
