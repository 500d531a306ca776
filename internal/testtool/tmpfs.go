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

// Tmpfs mounts a tmpfs of size (mount's syntax: "64k") on a fresh temporary directory
// and unmounts it when the test ends: a real small file system, so a test can fill it
// and get ENOSPC from the kernel, or remount it read-only. Mounting needs root; without
// it, or where mounting is not permitted (a container without CAP_SYS_ADMIN), the test
// is skipped, or failed in CI.
func Tmpfs(tb testing.TB, size string) string {
	tb.Helper()
	if os.Geteuid() != 0 {
		Unavailable(tb, "mounting a tmpfs needs root")
	}
	dir := tb.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		Unavailable(tb, "cannot mount a tmpfs here: "+strings.TrimSpace(string(out)))
	}
	// Registered after TempDir's own cleanup, so it runs first: the mount is gone
	// before the directory is removed.
	tb.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}

// FillUp fills the file system dir is on with one file, so that the next write there
// fails with ENOSPC.
func FillUp(tb testing.TB, dir string) {
	tb.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte("x"), 512)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				tb.Fatalf("filling %s: %v", dir, err)
			}
			return
		}
	}
}

// FillLeaving fills the file system dir is on (FillUp), then frees pages 4 KiB pages of
// it again, so that the next writes there get about that much room and then ENOSPC. It
// returns the filler's path: removing it gives the room back.
func FillLeaving(tb testing.TB, dir string, pages int) string {
	tb.Helper()
	FillUp(tb, dir)
	filler := filepath.Join(dir, "filler")
	fi, err := os.Stat(filler)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Truncate(filler, max(0, fi.Size()-int64(pages)*4096)); err != nil {
		tb.Fatal(err)
	}
	return filler
}
