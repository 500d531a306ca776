//go:build unix

package testtool

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// User is a real second local user, made for one test and removed after it: the
// attacker who can write where plexform, running as root, reads and writes.
type User struct {
	Name     string
	UID, GID int
}

// SecondUser creates a user with useradd (Debian package passwd) and removes it when the
// test ends. It needs root: elsewhere the test is skipped, and fails in CI.
func SecondUser(tb testing.TB) *User {
	tb.Helper()
	if os.Geteuid() != 0 {
		Unavailable(tb, "needs root, to create a second user")
	}
	Require(tb, "useradd", "passwd")
	Require(tb, "userdel", "passwd")
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := "pft" + hex.EncodeToString(rnd[:])
	if out, err := exec.Command("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name).CombinedOutput(); err != nil {
		tb.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			tb.Errorf("userdel %s: %v: %s", name, err, out)
		}
	})
	u, err := user.Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &User{Name: name, UID: uid, GID: gid}
}

// Run runs a shell script as the user, failing the test if it fails.
func (u *User) Run(tb testing.TB, script string) {
	tb.Helper()
	cmd := exec.Command("sh", "-ec", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID)}}
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("as %s: %s: %v: %s", u.Name, script, err, out)
	}
}

// OwnDir makes a directory the user owns (mode 0755) inside a fresh temp dir the user
// can reach (t.TempDir is 0700 for root).
func (u *User) OwnDir(tb testing.TB) string {
	tb.Helper()
	base := tb.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	dir := filepath.Join(base, u.Name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chown(dir, u.UID, u.GID); err != nil {
		tb.Fatal(err)
	}
	return dir
}
