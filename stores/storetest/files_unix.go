//go:build unix

package storetest

import (
	"os"
	"testing"
)

func chownFixture(t testing.TB, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if err := os.Chown(path, FixtureUID, FixtureGID); err != nil {
		t.Fatal(err)
	}
	// chown clears setuid/setgid; the mode is set again for the same reason apply does.
	if err := os.Chmod(path, FixtureMode); err != nil {
		t.Fatal(err)
	}
}
