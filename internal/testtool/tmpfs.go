package testtool

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// MountTinyTmpfs mounts a 64 KiB tmpfs on a new directory and unmounts it when the test
// ends: a file system that Fill can make full for real, so a write there fails with
// ENOSPC as on a full disk, no fault hook needed. It needs root (and a kernel that lets
// this process mount); without it the test is skipped, or failed in CI.
func MountTinyTmpfs(tb testing.TB) string {
	tb.Helper()
	if os.Geteuid() != 0 {
		Unavailable(tb, "mounting a tmpfs needs root")
	}
	dir := tb.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		Unavailable(tb, "cannot mount a tmpfs here: "+strings.TrimSpace(string(out)))
	}
	tb.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}

// Fill writes the file "filler" in dir until the file system is full (ENOSPC) and
// returns its path; truncating it frees space again, a page at a time on a tmpfs.
func Fill(tb testing.TB, dir string) string {
	tb.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("x"), 512)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				tb.Fatalf("filling the tmpfs: %v", err)
			}
			return path
		}
	}
}
