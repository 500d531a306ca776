package discover

import (
	"os/user"
	"strconv"
	"strings"
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
func UserName(root string, uid int) string {
	if root == "" {
		if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
			return u.Username
		}
		return ""
	}
	for _, f := range passwd(root) {
		if f[2] == strconv.Itoa(uid) {
			return f[0]
		}
	}
	return ""
}

// GroupName names a gid; "" when unknown.
func GroupName(root string, gid int) string {
	if root == "" {
		if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
			return g.Name
		}
		return ""
	}
	for _, f := range colonFile(root, rooted(root, "/etc/group"), 3) {
		if f[2] == strconv.Itoa(gid) {
			return f[0]
		}
	}
	return ""
}

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

func passwd(root string) [][]string { return colonFile(root, rooted(root, "/etc/passwd"), 4) }

// colonFile reads /etc/passwd-style lines with at least min fields.
func colonFile(root, path string, min int) [][]string {
	data, err := readConfig(root, path)
	if err != nil {
		return nil
	}
	var out [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Split(strings.TrimSpace(line), ":"); len(f) >= min && !strings.HasPrefix(f[0], "#") {
			out = append(out, f)
		}
	}
	return out
}
