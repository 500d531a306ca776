package storetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/stores"
)

// Owner and mode a file store's fixture gets, so that a rewrite that lost them shows:
// not the test's own user, and not a mode a new file would get by default.
const (
	FixtureUID  = 4242
	FixtureGID  = 4343
	FixtureMode = 0o640
)

// WriteFile writes a store's file for a test, with FixtureMode and, when the test runs
// as root, FixtureUID:FixtureGID.
func WriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, FixtureMode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, FixtureMode); err != nil {
		t.Fatal(err)
	}
	chownFixture(t, path)
}

// FileHarness fills the file parts of a Harness for a store kind kept in one file:
// encode renders values in the kind's format, open makes the store for a path, and
// malformed is content of the kind that cannot be parsed, holding secret.
func FileHarness(name string, encode func(t testing.TB, values map[string]stores.Value) []byte,
	open func(path string) stores.Store, malformed func(secret string) []byte) Harness {
	return Harness{
		New: func(t *testing.T, values map[string]stores.Value) stores.Store {
			path := filepath.Join(t.TempDir(), name)
			WriteFile(t, path, encode(t, values))
			return open(path)
		},
		Missing: func(t *testing.T) stores.Store { return open(filepath.Join(t.TempDir(), name)) },
		Malformed: func(t *testing.T, secret string) stores.Store {
			path := filepath.Join(t.TempDir(), name)
			WriteFile(t, path, malformed(secret))
			return open(path)
		},
		Break: func(t *testing.T, s stores.Store) bool { return FreezeDir(t, filepath.Dir(s.Target())) },
	}
}
