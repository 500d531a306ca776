//go:build unix

package plist

import (
	"bytes"
	"context"
	"os"
	"syscall"
	"testing"
)

// Owner and mode are Unix ideas; on Windows the temp file inherits the directory's ACL.

func chownFixture(t *testing.T, path string, uid, gid int, mode os.FileMode) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown the fixture")
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func ownerAndMode(t *testing.T, path string) (int, int, os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid), fi.Mode().Perm()
}

func TestWriteKeepsOwnerAndMode(t *testing.T) {
	for _, name := range []string{"prefs.binary.plist", "prefs.xml.plist"} {
		t.Run(name, func(t *testing.T) {
			path := fixture(t, name)
			chownFixture(t, path, 4242, 4343, 0o640)
			if err := NewFile(path).Write(context.Background(), resetEdits()); err != nil {
				t.Fatal(err)
			}
			if uid, gid, mode := ownerAndMode(t, path); uid != 4242 || gid != 4343 || mode != 0o640 {
				t.Errorf("after write: %d:%d %04o; want 4242:4343 0640", uid, gid, mode)
			}
		})
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	for _, name := range []string{"prefs.binary.plist", "prefs.xml.plist"} {
		t.Run(name, func(t *testing.T) {
			path := fixture(t, name)
			chownFixture(t, path, 4242, 4343, 0o640)
			orig, _ := os.ReadFile(path)
			f := NewFile(path)
			snap, err := f.Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if snap.Ext != "plist" || !bytes.Equal(snap.Data, orig) || snap.Meta.UID != 4242 || snap.Meta.Mode != 0o640 {
				t.Fatalf("snapshot: ext %q, meta %+v, exact bytes %v", snap.Ext, snap.Meta, bytes.Equal(snap.Data, orig))
			}
			if err := f.Write(context.Background(), resetEdits()); err != nil {
				t.Fatal(err)
			}
			// Something else takes the file over meanwhile; restore must put the owner back.
			if err := os.Chown(path, 0, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o666); err != nil {
				t.Fatal(err)
			}
			if err := f.Restore(context.Background(), snap); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, orig) {
				t.Errorf("restored bytes differ from the original")
			}
			if uid, gid, mode := ownerAndMode(t, path); uid != 4242 || gid != 4343 || mode != 0o640 {
				t.Errorf("after restore: %d:%d %04o; want 4242:4343 0640", uid, gid, mode)
			}
		})
	}
}
