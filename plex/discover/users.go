package discover

import (
	"os/user"
	"strconv"

	"github.com/plexform/plexform/stores/fileutil"
)

// Account is a user as the host's account database knows it.
type Account struct {
	Name     string
	UID, GID int // GID is the primary group
}

// LookupUser finds a user by name: in root's /etc/passwd when Root is set (a disk or
// volume has its own accounts), else through the system. ok is false when unknown.
func LookupUser(root, name string) (Account, bool) {
	if root == "" {
		u, err := user.Lookup(name)
		if err != nil {
			return Account{}, false
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		return Account{Name: name, UID: uid, GID: gid}, err1 == nil && err2 == nil
	}
	for _, f := range passwd(root) {
		if f[0] == name {
			uid, err1 := strconv.Atoi(f[2])
			gid, err2 := strconv.Atoi(f[3])
			return Account{Name: name, UID: uid, GID: gid}, err1 == nil && err2 == nil
		}
	}
	return Account{}, false
}

// UserName names a uid, the same way LookupUser finds names; "" when unknown.
func UserName(root string, uid int) string { return fileutil.RootAt(root).UserName(uid) }

// GroupName names a gid; "" when unknown.
func GroupName(root string, gid int) string { return fileutil.RootAt(root).GroupName(gid) }

// primaryGroup is the name of a user's primary group, or the user's own name (what
// useradd and the Plex packages create) when the account database does not say.
func primaryGroup(root, name string) string {
	if a, ok := LookupUser(root, name); ok {
		if g := GroupName(root, a.GID); g != "" {
			return g
		}
	}
	return name
}

// passwd is the tree's /etc/passwd (fileutil.Root.ReadAccounts reads every accounts
// file plexform names owners from).
func passwd(root string) [][]string { return fileutil.RootAt(root).ReadAccounts("/etc/passwd", 4) }
