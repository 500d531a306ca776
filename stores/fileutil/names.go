package fileutil

import (
	"fmt"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// maxAccountsFile bounds what is read of a tree's /etc/passwd or /etc/group: a host's
// are a few kilobytes, and a tree is anyone's.
const maxAccountsFile = 1 << 20

// ReadAccounts reads the /etc/passwd-style file at path (a name inside the tree, such
// as /etc/group) as colon-separated fields, keeping the lines with at least minFields
// and no comment. It is read through r: inside the tree, no symlink out of it, bounded,
// never a FIFO. A file that cannot be read has no lines.
func (r Root) ReadAccounts(path string, minFields int) [][]string {
	data, _, err := r.ReadFile(filepath.Join(r.dir, filepath.Clean("/"+path)), maxAccountsFile)
	if err != nil {
		return nil
	}
	var out [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Split(strings.TrimSpace(line), ":"); len(f) >= minFields && !strings.HasPrefix(f[0], "#") {
			out = append(out, f)
		}
	}
	return out
}

// UserName names uid as the tree's host knows it: from the tree's /etc/passwd under a
// -root (its files' owners are that host's users, not this machine's), else through
// this system. "" when unknown.
func (r Root) UserName(uid int) string {
	if uid < 0 {
		return ""
	}
	if r.dir == "" {
		if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
			return u.Username
		}
		return ""
	}
	return r.nameOf("/etc/passwd", 4, uid)
}

// GroupName names gid as UserName names a uid, from the tree's /etc/group under a -root.
func (r Root) GroupName(gid int) string {
	if gid < 0 {
		return ""
	}
	if r.dir == "" {
		if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
			return g.Name
		}
		return ""
	}
	return r.nameOf("/etc/group", 3, gid)
}

// nameOf is the name (first field) of the line of an accounts file whose third field
// is id.
func (r Root) nameOf(path string, minFields, id int) string {
	for _, f := range r.ReadAccounts(path, minFields) {
		if f[2] == strconv.Itoa(id) {
			return f[0]
		}
	}
	return ""
}

// DescribeOwner spells uid:gid with names where the tree's host (UserName) knows them:
// "plex:plex (999:999)".
func (r Root) DescribeOwner(uid, gid int) string {
	u, g := strconv.Itoa(uid), strconv.Itoa(gid)
	if n := r.UserName(uid); n != "" {
		u = n
	}
	if n := r.GroupName(gid); n != "" {
		g = n
	}
	return fmt.Sprintf("%s:%s (%d:%d)", u, g, uid, gid)
}

// DescribeUser spells a uid with its name where the tree's host knows it: "plex (uid 999)".
func (r Root) DescribeUser(uid int) string {
	if n := r.UserName(uid); n != "" {
		return fmt.Sprintf("%s (uid %d)", n, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}
