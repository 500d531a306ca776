package storetest

import (
	"os"
	"testing"
)

func chmodFreeze(t testing.TB, dir string) bool {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Chmod(dir, fi.Mode().Perm()); err != nil {
			t.Errorf("unfreeze %s: %v", dir, err)
		}
	})
	return true
}
