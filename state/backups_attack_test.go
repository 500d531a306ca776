//go:build linux

package state

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores"
)

// These tests play the attacker of the security review: a second local user who can
// write where plexform (as root) keeps or reaches its backups. Each plants what the
// review planted and checks that root touched nothing outside the plan.

// sharedTemp is a temp dir the attacker can reach (t.TempDir is 0700 for root).
func sharedTemp(t *testing.T) string {
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// victim is a root-only file outside everything the attacker may write.
func victim(t *testing.T, dir string) (path string, check func()) {
	path = filepath.Join(dir, "root-only")
	const content = "root's own bytes\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, func() {
		t.Helper()
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Errorf("the root-only file outside was touched: %q, %v", got, err)
		}
	}
}

func TestAttackerLockSymlinkIsNotTruncated(t *testing.T) {
	a := testtool.SecondUser(t)
	dir := sharedTemp(t)
	target, check := victim(t, dir)
	for _, c := range []struct{ name, setup string }{
		// a backups dir the attacker made first (under -root, on a volume they own)
		{"attackers-dir", "mkdir -m 0700 vol/b1 && ln -s " + target + " vol/b1/.lock"},
		// a shared backups dir everyone can write
		{"shared-dir", "ln -s " + target + " b2/.lock"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bdir := filepath.Join(dir, "b2")
			if c.name == "shared-dir" {
				mustMkdir(t, bdir, 0o777)
			} else {
				bdir = filepath.Join(dir, "vol", "b1")
				mustMkdir(t, filepath.Dir(bdir), 0o755)
				if err := os.Chown(filepath.Dir(bdir), a.UID, a.GID); err != nil {
					t.Fatal(err)
				}
			}
			a.Run(t, "cd "+dir+" && "+c.setup)
			b := &Dir{Path: bdir}
			unlock, err := b.Lock(0)
			if err == nil {
				unlock()
				t.Error("Lock took a backups dir another user can write")
			} else if !strings.Contains(err.Error(), "fix:") {
				t.Errorf("the refusal does not say how to fix it: %v", err)
			}
			check()
		})
	}
}

func TestAttackerSymlinkAtNextBackupNameIsNotWrittenThrough(t *testing.T) {
	a := testtool.SecondUser(t)
	dir := sharedTemp(t)
	target, check := victim(t, dir)
	backups := filepath.Join(dir, "backups")
	mustMkdir(t, backups, 0o777)
	// The next names are predictable: this second and the next few, -2, -3...
	var links []string
	now := time.Now().UTC()
	for s := 0; s < 5; s++ {
		base := now.Add(time.Duration(s)*time.Second).Format(idTimeLayout) + "-prefs"
		links = append(links, base+".xml", base+"-2.xml")
	}
	a.Run(t, "cd "+backups+" && for n in "+strings.Join(links, " ")+"; do ln -s "+target+" $n; done")
	b := &Dir{Path: backups}
	snap := stores.Snapshot{Ext: "xml", Data: []byte(`<Preferences PlexOnlineToken="tok-SECRET-123456"/>`), Meta: stores.FileMeta{UID: 0, GID: 0, Mode: 0o600}}
	if _, err := b.Save("prefs", "xml_attributes", "/srv/Preferences.xml", "", "test", snap); err == nil {
		t.Error("Save wrote into a backups dir another user can write")
	}
	check()
}

func TestAttackerManifestOutsideTheDirIsNotPruned(t *testing.T) {
	a := testtool.SecondUser(t)
	dir := sharedTemp(t)
	target, check := victim(t, dir)
	backups := filepath.Join(dir, "backups")
	mustMkdir(t, backups, 0o777)
	rel, _ := filepath.Rel(backups, target)
	for i := 0; i < 3; i++ {
		m := fmt.Sprintf(`{"id":"2020010%dT000000Z-prefs","resource":"prefs","kind":"xml_attributes","target":"/srv/Preferences.xml","file":%q,"uid":0,"gid":0,"mode":"0600","sha256":"%064d","size":1,"time":"2020-01-0%dT00:00:00Z"}`, i+1, rel, 0, i+1)
		a.Run(t, fmt.Sprintf("cd %s && printf '%%s' '%s' > 2020010%dT000000Z-prefs.json", backups, m, i+1))
	}
	b := &Dir{Path: backups}
	_ = b.Prune("prefs", "/srv/Preferences.xml", 1)
	check()
	if _, err := os.Stat(filepath.Join(backups, "20200101T000000Z-prefs.json")); err != nil {
		t.Errorf("the attacker's own manifest was removed, or is gone: %v", err)
	}
}

func TestAttackerManifestCannotRestoreToItsTarget(t *testing.T) {
	a := testtool.SecondUser(t)
	dir := sharedTemp(t)
	target, check := victim(t, dir)
	backups := filepath.Join(dir, "backups")
	mustMkdir(t, backups, 0o777)
	body := "the attacker bytes\n"
	m := fmt.Sprintf(`{"id":"20200101T000000Z-prefs","resource":"prefs","kind":"xml_attributes","target":%q,"file":"20200101T000000Z-prefs.xml","uid":0,"gid":0,"mode":"0644","sha256":"%s","size":%d,"time":"2020-01-01T00:00:00Z"}`,
		target, sha256Hex(body), len(body))
	a.Run(t, fmt.Sprintf("cd %s && printf '%%s' '%s' > 20200101T000000Z-prefs.json && printf '%%s' '%s' > 20200101T000000Z-prefs.xml", backups, m, body))
	b := &Dir{Path: backups}
	if _, _, err := b.Load("20200101T000000Z-prefs"); err == nil {
		t.Error("Load accepted a backup from a directory another user can write")
	}
	if list, _ := b.List(); len(list) != 0 {
		t.Errorf("List shows the planted backup: %v", list)
	}
	check()
}

func TestAttackerSymlinkedParentUnderRootIsNotFollowed(t *testing.T) {
	a := testtool.SecondUser(t)
	dir := sharedTemp(t)
	// A tree under -root whose var/ belongs to the attacker (a volume of theirs); the
	// default backups dir under -root is var/lib/plexform/backups.
	tree := filepath.Join(dir, "host")
	mustMkdir(t, tree, 0o755)
	mustMkdir(t, filepath.Join(tree, "var"), 0o755)
	if err := os.Chown(filepath.Join(tree, "var"), a.UID, a.GID); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "outside")
	mustMkdir(t, filepath.Join(outside, "plexform", "backups"), 0o755)
	for _, d := range []string{outside, filepath.Join(outside, "plexform"), filepath.Join(outside, "plexform", "backups")} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a.Run(t, "ln -s "+outside+" "+filepath.Join(tree, "var", "lib"))
	b := &Dir{Path: filepath.Join(tree, "var", "lib", "plexform", "backups")}
	unlock, err := b.Lock(0)
	if err == nil {
		unlock()
		t.Error("Lock went through a symlink the attacker planted")
	} else if !strings.Contains(err.Error(), "is a symlink in") {
		t.Errorf("the refusal does not name the link: %v", err)
	}
	for _, d := range []string{outside, filepath.Join(outside, "plexform"), filepath.Join(outside, "plexform", "backups")} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s outside the tree was changed: %v %v", d, fi.Mode(), err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(outside, "plexform", "backups")); len(entries) != 0 {
		t.Errorf("files were made outside the tree: %v", entries)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
