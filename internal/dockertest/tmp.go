package dockertest

import (
	"os"
	"testing"
)

// shortTempDir is a temp dir under /tmp removed when the test ends: unix socket paths
// must stay short, and t.TempDir() nests the test's whole name.
func shortTempDir(t testing.TB) (string, error) {
	dir, err := os.MkdirTemp("", "plexform-docker-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir, nil
}
