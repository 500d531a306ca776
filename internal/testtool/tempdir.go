package testtool

import (
	"os"
	"path/filepath"
	"testing"
)

// TempDir is t.TempDir for tests that also run under Wine (scripts/wine-test.sh):
// Wine 8 answers os.RemoveAll's unlinkat with "Invalid function", which fails
// t.TempDir's cleanup, so this one removes the tree depth-first with plain Remove.
func TempDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "plexform-test")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { removeTree(dir) })
	return dir
}

func removeTree(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		entries, _ := os.ReadDir(path)
		for _, e := range entries {
			removeTree(filepath.Join(path, e.Name()))
		}
	}
	os.Remove(path)
}
