//go:build !linux

package storetest

import (
	"os"
	"testing"
)

// FreezeDir makes dir refuse new entries until the test ends, by its mode; as root,
// which ignores modes, it returns false: only Linux's immutable flag would do.
func FreezeDir(t testing.TB, dir string) bool {
	t.Helper()
	if os.Geteuid() == 0 {
		return false
	}
	return chmodFreeze(t, dir)
}
