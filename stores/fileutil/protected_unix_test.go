//go:build unix

package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores"
)

// On this machine's own /, a symlink another user planted is followed only to that
// user's own files: root must not read or rewrite a root-only file through it.
func TestPlantedSymlinkToAnotherUsersFileIsRefused(t *testing.T) {
	u := testtool.SecondUser(t)
	secret := filepath.Join(t.TempDir(), "root-only.xml")
	write(t, secret, `<Preferences PlexOnlineToken="root-secret"/>`)
	if err := os.Chmod(secret, 0o600); err != nil {
		t.Fatal(err)
	}
	secretDir := filepath.Dir(secret)
	home := u.OwnDir(t)
	own := filepath.Join(home, "own.xml")
	u.Run(t, "printf '<Preferences/>' > "+own)
	u.Run(t, "cd "+home+" && ln -s "+secret+" Preferences.xml && ln -s "+secretDir+" Library && ln -s own.xml Mine.xml")

	for _, p := range []string{filepath.Join(home, "Preferences.xml"), filepath.Join(home, "Library", "root-only.xml")} {
		if _, _, err := ReadFile(p, MaxFileSize); err == nil || !strings.Contains(err.Error(), "refusing the symlink") || !strings.Contains(err.Error(), u.Name) {
			t.Errorf("ReadFile %s: want the planted link refused, got %v", p, err)
		}
		if _, _, err := Stat(p); err == nil || !strings.Contains(err.Error(), "refusing the symlink") {
			t.Errorf("Stat %s: want the planted link refused, got %v", p, err)
		}
		if err := WriteAtomic(p, []byte("<Preferences/>"), stores.FileMeta{UID: 0, GID: 0, Mode: 0o600}); err == nil || !strings.Contains(err.Error(), "refusing the symlink") {
			t.Errorf("WriteAtomic %s: want the planted link refused, got %v", p, err)
		}
	}
	if got := readString(t, secret); got != `<Preferences PlexOnlineToken="root-secret"/>` {
		t.Fatalf("the root-only file was rewritten: %q", got)
	}
	entries, _ := os.ReadDir(secretDir)
	if len(entries) != 1 {
		t.Errorf("something was left beside the root-only file: %v", entries)
	}

	// The user's link to the user's own file is theirs to make.
	if data, meta, err := ReadFile(filepath.Join(home, "Mine.xml"), MaxFileSize); err != nil || string(data) != "<Preferences/>" || meta.UID != u.UID {
		t.Errorf("a link to the user's own file: %q %v %v", data, meta, err)
	}

	// A link root made (a Plex data dir moved to another disk) is followed to the
	// user's file, and a write through it keeps the file the user's.
	moved := filepath.Join(t.TempDir(), "Preferences.xml")
	symlink(t, own, moved)
	meta, exists, err := Stat(moved)
	if err != nil || !exists || meta.UID != u.UID {
		t.Fatalf("a root-made link: %v %v %v", meta, exists, err)
	}
	if err := WriteAtomic(moved, []byte("<Preferences A=\"1\"/>"), meta); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(own); err != nil || readString(t, own) != `<Preferences A="1"/>` || !ownedBy(fi, u.UID) {
		t.Errorf("the write through a root-made link: %v", err)
	}

	// Under -root the tree is another host's: its links are resolved inside it, whoever
	// owns them, and cannot leave it.
	root := RootAt(home)
	if _, _, err := root.ReadFile(root.Path("/Preferences.xml"), MaxFileSize); !os.IsNotExist(err) {
		t.Errorf("under -root the planted link must lead inside the tree (nothing there): %v", err)
	}
}

func ownedBy(fi os.FileInfo, uid int) bool {
	u, _ := ownerOf(fi)
	return u == uid
}
