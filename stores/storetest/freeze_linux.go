package storetest

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// FreezeDir makes dir refuse new entries and renames until the test ends, so that an
// atomic write (temp file, rename) into it fails. Root ignores permissions, so as root
// the directory is made immutable (chattr +i) instead. It returns false when neither
// can be arranged (a file system without the immutable flag).
func FreezeDir(t testing.TB, dir string) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return chmodFreeze(t, dir)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	flags, err := unix.IoctlGetUint32(int(d.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Logf("%s: cannot read inode flags: %v", dir, err)
		return false
	}
	if err := unix.IoctlSetPointerInt(int(d.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsImmutableFL)); err != nil {
		t.Logf("%s: cannot make it immutable: %v", dir, err)
		return false
	}
	t.Cleanup(func() {
		d, err := os.Open(dir)
		if err != nil {
			t.Errorf("unfreeze %s: %v", dir, err)
			return
		}
		defer d.Close()
		if err := unix.IoctlSetPointerInt(int(d.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
			t.Errorf("unfreeze %s (run chattr -i on it): %v", dir, err)
		}
	})
	return true
}

// fsImmutableFL is FS_IMMUTABLE_FL of linux/fs.h, the flag chattr +i sets.
const fsImmutableFL = 0x10
