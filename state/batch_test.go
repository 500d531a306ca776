package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores"
)

// prefsXML is what a backup holds: Plex's settings, token and all.
const prefsXML = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<Preferences MachineIdentifier="m" PlexOnlineToken="tok-SECRET-123456" PlexOnlineMail="jane@example.com" FriendlyName="den"/>` + "\n"

// A batch of backups is listed once it ends, each with its copy and manifest under
// their names and no temp file left; a batch that fails leaves nothing behind.
func TestBackupsBatch(t *testing.T) {
	snap := stores.Snapshot{Ext: "xml", Data: []byte(prefsXML), Meta: stores.FileMeta{UID: -1, GID: -1, Mode: 0o600}}
	names := []string{"a", "b", "c"}
	entries := func(dir string) []string {
		t.Helper()
		des, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, de := range des {
			if de.Name() != lockName {
				out = append(out, de.Name())
			}
		}
		return out
	}

	t.Run("saved", func(t *testing.T) {
		b := &Dir{Path: filepath.Join(t.TempDir(), "backups")}
		unlock, err := b.Lock(0)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		var saved []*Manifest
		err = b.Batch(func() error {
			for _, n := range names {
				m, err := b.Save(n, "xml_attributes", "/srv/"+n+"/Preferences.xml", "", "test", snap)
				if err != nil {
					return err
				}
				saved = append(saved, m)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got := entries(b.Path)
		if len(got) != 2*len(names) {
			t.Errorf("backups dir holds %v, want a copy and a manifest per store", got)
		}
		for _, n := range got {
			if strings.HasPrefix(n, tempPrefix) {
				t.Errorf("temp file %s left after the batch", n)
			}
		}
		fresh := &Dir{Path: b.Path} // read back from disk, not from memory
		list, err := fresh.List()
		if err != nil || len(list) != len(names) {
			t.Fatalf("List after the batch: %d backups, %v; want %d", len(list), err, len(names))
		}
		for i, m := range saved {
			data, err := os.ReadFile(filepath.Join(b.Path, m.File))
			if err != nil || string(data) != prefsXML {
				t.Errorf("backup %d: %q, %v", i, data, err)
			}
		}
	})

	t.Run("failed", func(t *testing.T) {
		b := &Dir{Path: filepath.Join(t.TempDir(), "backups")}
		unlock, err := b.Lock(0)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		boom := errors.New("the next store failed")
		err = b.Batch(func() error {
			if _, err := b.Save("a", "xml_attributes", "/srv/a/Preferences.xml", "", "test", snap); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Batch = %v, want the save's error", err)
		}
		if got := entries(b.Path); len(got) != 0 {
			t.Errorf("a failed batch left %v", got)
		}
		if list, _ := b.List(); len(list) != 0 {
			t.Errorf("a failed batch lists %d backups", len(list))
		}
	})
}
