//go:build !linux

package storetest

import (
	"os"
	"runtime"
	"testing"
)

// FreezeDir makes dir refuse new entries until the test ends, by its mode. As root,
// which ignores modes, it returns false (only Linux's immutable flag would do), and on
// Windows too, where a directory's read-only attribute does not stop new files.
func FreezeDir(t testing.TB, dir string) bool {
	t.Helper()
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		return false
	}
	return chmodFreeze(t, dir)
}
