//go:build unix

package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

func mustMkdir(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func testSnap(data string) stores.Snapshot {
	return stores.Snapshot{Ext: "xml", Data: []byte(data), Meta: stores.FileMeta{UID: os.Getuid(), GID: os.Getgid(), Mode: 0o640}}
}

func TestBackupsDirIsMadePrivateWithItsParents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "plexform", "backups")
	b := &Dir{Path: dir}
	defer b.Close()
	if _, err := b.Save("prefs", "xml_attributes", "/srv/p.xml", "", "test", testSnap("<P/>")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Dir(dir), filepath.Dir(filepath.Dir(dir))} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, %v; want 0700", d, fi.Mode(), err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode())
		}
	}
}

func TestBackupsDirRefusals(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	mustMkdir(t, real, 0o700)
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open")
	mustMkdir(t, open, 0o770)
	readable := filepath.Join(base, "readable")
	mustMkdir(t, readable, 0o755)
	// A world-writable directory that is not sticky: a link in it could be anyone's.
	shared := filepath.Join(base, "shared")
	mustMkdir(t, shared, 0o777)
	if err := os.Symlink(real, filepath.Join(shared, "via")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, want string }{
		{link, "is a symlink, which plexform does not follow"},
		{open, "is writable by its group or others (mode 0770)"},
		{readable, "is readable by its group or others (mode 0755)"},
		{filepath.Join(shared, "via", "backups"), "is a symlink in " + shared + ", which every user can change"},
	} {
		b := &Dir{Path: c.dir}
		_, err := b.Lock(0)
		if !errors.Is(err, ErrUntrustedDir) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.dir, err, c.want)
		}
	}
	if fi, _ := os.Stat(readable); fi.Mode().Perm() != 0o755 {
		t.Errorf("a refused directory was changed: %v", fi.Mode())
	}
	if entries, _ := os.ReadDir(real); len(entries) != 0 {
		t.Errorf("something was written through a refused link: %v", entries)
	}
}

func TestBackupsDirFollowsALinkOnlyRootOrItsUserCouldMake(t *testing.T) {
	base := t.TempDir() // 0700, ours: a link in it is ours
	real := filepath.Join(base, "real")
	mustMkdir(t, real, 0o755)
	if err := os.Symlink(real, filepath.Join(base, "moved")); err != nil {
		t.Fatal(err)
	}
	b := &Dir{Path: filepath.Join(base, "moved", "backups")}
	defer b.Close()
	unlock, err := b.Lock(0)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if fi, err := os.Stat(filepath.Join(real, "backups")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("backups dir behind a trusted link: %v %v", fi, err)
	}
}

func TestOwnerOfTheBackupsDirMustBeThisUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the directory another owner")
	}
	dir := filepath.Join(t.TempDir(), "backups")
	mustMkdir(t, dir, 0o700)
	if err := os.Chown(dir, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, err := (&Dir{Path: dir}).Lock(0)
	if !errors.Is(err, ErrUntrustedDir) || !strings.Contains(err.Error(), "belongs to uid 4242, not to") || !strings.Contains(err.Error(), "chown -R 0 "+dir) {
		t.Errorf("%v", err)
	}
}

// The directory is trusted, but a link inside it (made by root, or before the checks
// existed) is still never followed for a write.
func TestNoWriteFollowsALinkInsideTheDir(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "backups")
	mustMkdir(t, dir, 0o700)
	target := filepath.Join(base, "elsewhere")
	if err := os.WriteFile(target, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, ".lock")); err != nil {
		t.Fatal(err)
	}
	b := &Dir{Path: dir}
	defer b.Close()
	if _, err := b.Lock(0); err == nil {
		t.Error("Lock opened a .lock symlink")
	}
	os.Remove(filepath.Join(dir, ".lock"))
	// Links at every name Save could pick in the next seconds, and at the manifest name.
	now := time.Now().UTC()
	for s := 0; s < 4; s++ {
		base := now.Add(time.Duration(s)*time.Second).Format(idTimeLayout) + "-prefs"
		for _, n := range []string{base + ".xml", base + "-2.xml", base + "-3" + manifestExt} {
			if err := os.Symlink(target, filepath.Join(dir, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := b.Save("prefs", "xml_attributes", "/srv/p.xml", "", "test", testSnap("<P/>"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(m.ID, "-4") {
		t.Errorf("saved as %s; want the first free name, -4", m.ID)
	}
	if got, _ := os.ReadFile(target); string(got) != "keep me\n" {
		t.Errorf("the link's target was written: %q", got)
	}
	if fi, err := os.Lstat(filepath.Join(dir, m.File)); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the copy is not a plain file: %v %v", fi, err)
	}
}

func TestPlantedManifestsAreSkippedAndReported(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "backups")
	b := &Dir{Path: dir}
	good, err := b.Save("prefs", "xml_attributes", "/srv/p.xml", "", "test", testSnap("<P/>"))
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(base, "outside")
	if err := os.WriteFile(outside, []byte("root only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	manifest := func(id, file, mode, target string) string {
		t, _ := json.Marshal(target)
		return fmt.Sprintf(`{"id":%q,"resource":"prefs","kind":"xml_attributes","target":%s,"file":%q,"uid":0,"gid":0,"owner":"","mode":%q,"sha256":"%064d","size":1,"time":"2020-01-01T00:00:00Z","plexform_version":"x"}`,
			id, t, file, mode, 0)
	}
	planted := map[string]string{
		"20200101T000000Z-prefs.json":    manifest("20200101T000000Z-prefs", "../outside", "0600", "/srv/p.xml"),
		"20200101T000001Z-prefs.json":    manifest("20200101T000001Z-prefs", "20200101T000001Z-prefs.xml", "4755", "/srv/p.xml"),
		"20200101T000002Z-prefs.json":    manifest("20200101T000002Z-prefs", "20200101T000002Z-prefs.xml", "0600", "/srv/\x1b[2Jp.xml"),
		"20200101T000003Z-prefs.json":    manifest("20200101T000099Z-prefs", "20200101T000099Z-prefs.xml", "0600", "/srv/p.xml"),
		"20200101T000004Z-prefs.json":    `{"id":"20200101T000004Z-prefs","extra":1}`,
		"20200101T000005Z-prefs.json":    manifest("20200101T000005Z-prefs", "20200101T000005Z-prefs.xml", "0600", "/srv/p.xml") + `{}`,
		"20200101T000006Z-prefs.json":    strings.Repeat(" ", maxManifestSize+1),
		"20200101T000007Z-prefs.json":    `{"id": "tok-SECRET-123456`,
		"20200101T000008Z-../x.json":     "", // not our naming: never even read
		"some-notes-of-the-admin.json":   "{}",
		"20200101T000009Z-prefs.xml":     "a copy without a manifest",
		".plexform-tmp-0123456789abcdef": "a temp file of a killed write",
	}
	for name, body := range planted {
		if strings.Contains(name, "/") {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	b = &Dir{Path: dir}
	defer b.Close()
	unlock, err := b.Lock(0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	list, err := b.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != good.ID {
		t.Errorf("listed %d backups; want only %s", len(list), good.ID)
	}
	problems := b.Problems()
	if len(problems) != 8 {
		t.Errorf("%d problems reported, want 8: %v", len(problems), problems)
	}
	for _, p := range problems {
		if strings.Contains(p.Error(), "tok-SECRET") || strings.Contains(p.Error(), "\x1b") {
			t.Errorf("a problem quotes the file: %q", p)
		}
	}
	if err := b.Prune("prefs", "/srv/p.xml", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("prune removed a file outside the dir: %v", err)
	}
	for name := range planted {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil && !strings.Contains(name, "/") {
			t.Errorf("prune removed %s, which it did not write: %v", name, err)
		}
	}
	if _, _, err := b.Load("20200101T000001Z-prefs"); err == nil || !strings.Contains(err.Error(), "mode has bits beyond") {
		t.Errorf("Load of a setuid manifest: %v", err)
	}
	line, err := b.Tidy(nil)
	if err != nil {
		t.Fatal(err)
	}
	if line != "Removed what an interrupted run left: 1 backup copy without a manifest in "+dir+"; 1 unfinished temp file" {
		t.Errorf("tidy said %q", line)
	}
	for _, name := range []string{"20200101T000009Z-prefs.xml", ".plexform-tmp-0123456789abcdef"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "some-notes-of-the-admin.json")); err != nil {
		t.Errorf("tidy removed a file that is not plexform's: %v", err)
	}
}

func TestLoadRefusesACopyThatDoesNotMatchItsManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	b := &Dir{Path: dir}
	defer b.Close()
	m, err := b.Save("prefs", "xml_attributes", "/srv/p.xml", "", "test", testSnap("<P A='1'/>"))
	if err != nil {
		t.Fatal(err)
	}
	if _, snap, err := b.Load(m.ID); err != nil || string(snap.Data) != "<P A='1'/>" || snap.Meta.Mode != 0o640 {
		t.Fatalf("Load: %v %+v", err, snap)
	}
	for _, content := range []string{"<P A='2'/>", "<P A='1'/> and more"} {
		if err := os.WriteFile(filepath.Join(dir, m.File), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Load(m.ID); err == nil || !strings.Contains(err.Error(), "is damaged") {
			t.Errorf("Load of a changed copy: %v", err)
		}
	}
}

// A write killed between Stage and its rename leaves the temp file the real staging
// code made; the next run's tidy finds it by the same definition and removes it, and
// leaves alone every name that is not a temp of this store's.
func TestTidyRemovesTempFilesOfAKilledWriteBesideTheStore(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "Preferences.xml")
	for name, body := range map[string]string{
		"Preferences.xml":                        "<P/>",
		".Preferences.xml.plexform-abc":          "not our pattern",
		".Preferences.xml.plexform-0123456789AB": "not our pattern (upper case)",
		".Other.xml.plexform-0123456789ab":       "another store's",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var staged []string
	for range 2 {
		p, err := fileutil.Stage(store, []byte("<P new/>"), stores.FileMeta{UID: -1, GID: -1, Mode: 0o600})
		if err != nil {
			t.Fatal(err)
		}
		staged = append(staged, p.Temp()) // and never committed: the run was killed here
	}
	planted := filepath.Join(dir, fileutil.TempPrefix("Preferences.xml")+"feedfacecafe")
	if err := os.Symlink(store, planted); err != nil {
		t.Fatal(err)
	}
	b := &Dir{Path: filepath.Join(dir, "backups")}
	defer b.Close()
	line, err := b.Tidy([]string{store, "HKCU\\Software\\Plex, Inc.\\Plex Media Server"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Removed what an interrupted run left: 2 unfinished temp files beside " + dir; line != want {
		t.Errorf("tidy said %q, want %q", line, want)
	}
	for _, p := range staged {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the staged %s is still there (%v)", p, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 4 {
		t.Errorf("left %v; want the four that are not this store's temp files", left)
	}
	if line, err := b.Tidy([]string{store}); line != "" || err != nil {
		t.Errorf("a second tidy: %q %v", line, err)
	}
}

func TestLockShowsTheHolderOnlyAsANumber(t *testing.T) {
	b := &Dir{Path: filepath.Join(t.TempDir(), "backups")}
	defer b.Close()
	unlock, err := b.Lock(0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	other := &Dir{Path: b.Path}
	defer other.Close()
	if _, err := other.Lock(0); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d)", os.Getpid())) {
		t.Errorf("second lock: %v", err)
	}
	if err := os.WriteFile(filepath.Join(b.Path, ".lock"), []byte("\x1b[31mnot a pid"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lock(0); !errors.Is(err, ErrLocked) || strings.Contains(err.Error(), "pid") || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("second lock: %q", err)
	}
}

func TestStateFilesBesideTheBackups(t *testing.T) {
	base := t.TempDir()
	b := &Dir{Path: filepath.Join(base, "backups")}
	defer b.Close()
	if _, err := b.ReadFile("journal.json", 1<<10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if err := b.WriteFile("journal.json", []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := b.ReadFile("journal.json", 1<<10); err != nil || string(got) != "{}\n" {
		t.Errorf("read back %q %v", got, err)
	}
	if _, err := b.ReadFile("journal.json", 2); err == nil {
		t.Error("read past its bound")
	}
	target := filepath.Join(base, "elsewhere")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(b.Path, "claims-used.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadFile("claims-used.json", 1<<10); err == nil {
		t.Error("read through a link")
	}
	// The write replaces the link itself.
	if err := b.WriteFile("claims-used.json", []byte("[]")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "keep" {
		t.Errorf("wrote through a link: %q", got)
	}
	for _, bad := range []string{"../x", ".lock", "20200101T000000Z-prefs.json", "20200101T000000Z-prefs.xml", ""} {
		if err := b.WriteFile(bad, nil); err == nil {
			t.Errorf("WriteFile(%q) was allowed", bad)
		}
	}
	if err := b.RemoveFile("journal.json"); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveFile("journal.json"); err != nil {
		t.Errorf("removing a missing file: %v", err)
	}
}

func TestDiscardRemovesOneBackupAndForgetsIt(t *testing.T) {
	b := &Dir{Path: filepath.Join(t.TempDir(), "backups")}
	defer b.Close()
	first, err := b.Save("prefs", "xml_attributes", "/srv/p.xml", "", "test", testSnap("<P A='1'/>"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Save("prefs", "xml_attributes", "/srv/p.xml", "", "test", testSnap("<P A='2'/>"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Discard(first); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.List(); len(list) != 1 || list[0].ID != second.ID {
		t.Errorf("after Discard: %v", list)
	}
	for _, name := range []string{first.File, first.ID + manifestExt} {
		if _, err := os.Lstat(filepath.Join(b.Path, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there: %v", name, err)
		}
	}
	if err := b.Discard(&Manifest{ID: "../x", File: "../x.xml"}); err == nil {
		t.Error("Discard took a name that is not a backup's")
	}
}

// The journal and claims-used.json decide what recover restores and whether a claim
// runs, so they pass the directory's checks too: a state file another user owns, or
// that its group or others may read or write, is refused with what to do, and never
// believed. One that is this user's and 0600 reads as before.
func TestStateFilesMustBeThisUsersAndPrivate(t *testing.T) {
	const journal = `{"format": 1, "pid": 1, "plan": "p.yaml", "step": "prepared", "services": [], "stores": []}` + "\n"
	setUp := func(t *testing.T, name, data string, mode os.FileMode) (*Dir, string) {
		t.Helper()
		b := &Dir{Path: filepath.Join(t.TempDir(), "backups")}
		t.Cleanup(func() { b.Close() })
		if err := b.WriteFile(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(b.Path, name)
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return b, path
	}
	t.Run("own and 0600", func(t *testing.T) {
		b, _ := setUp(t, journalFile, journal, 0o600)
		if j, err := b.ReadJournal(); err != nil || j == nil || j.Step != "prepared" {
			t.Fatalf("ReadJournal = %+v, %v", j, err)
		}
	})
	for _, tc := range []struct {
		name string
		mode os.FileMode
		want string
	}{
		{"journal readable by others", 0o644, "has mode 0644"},
		{"journal writable by its group", 0o620, "has mode 0620"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, path := setUp(t, journalFile, journal, tc.mode)
			err := b.CheckUnfinished()
			if !errors.Is(err, ErrUntrustedDir) || !strings.Contains(err.Error(), path+" "+tc.want) || !strings.Contains(err.Error(), "chmod 0600") {
				t.Errorf("a journal of mode %04o: %v, want it refused, naming the file, its mode and the fix", tc.mode, err)
			}
		})
	}
	t.Run("claims file open to others", func(t *testing.T) {
		b, path := setUp(t, "claims-used.json", `{"salt": "", "digests": {}}`, 0o666)
		if _, err := b.ReadFile("claims-used.json", 1<<10); !errors.Is(err, ErrUntrustedDir) || !strings.Contains(err.Error(), path+" has mode 0666") {
			t.Errorf("claims-used.json of mode 0666: %v", err)
		}
	})
	t.Run("journal of another user", func(t *testing.T) {
		other := testtool.SecondUser(t)
		b, path := setUp(t, journalFile, journal, 0o600)
		if err := os.Chown(path, other.UID, other.GID); err != nil {
			t.Fatal(err)
		}
		err := b.CheckUnfinished()
		if !errors.Is(err, ErrUntrustedDir) || !strings.Contains(err.Error(), path+" belongs to "+other.Name) {
			t.Errorf("a journal of %s: %v, want it refused", other.Name, err)
		}
	})
}
