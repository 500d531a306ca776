//go:build unix

package fileutil

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadWithMetaRefusesAFIFOWithoutBlocking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Preferences.xml")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, _, _, err := ReadWithMeta(path); done <- err }()
	err := <-done // a hang here is the bug; go test's -timeout catches it
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("want a not-a-regular-file error, got %v", err)
	}
}
