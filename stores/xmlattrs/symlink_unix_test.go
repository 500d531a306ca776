//go:build unix

package xmlattrs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/stores"
)

// A user who owns Plex's data dir plants Preferences.xml -> a root-only XML file. What
// plan reads (Read, Load) and what apply writes (Stage, Write) refuse the link, and the
// root-only file keeps every byte.
func TestPlantedPreferencesSymlinkIsRefused(t *testing.T) {
	u := testtool.SecondUser(t)
	const secretXML = `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences PlexOnlineToken="root-secret" Other="1"/>` + "\n"
	secret := filepath.Join(t.TempDir(), "root-only.xml")
	if err := os.WriteFile(secret, []byte(secretXML), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := u.OwnDir(t)
	u.Run(t, "ln -s "+secret+" "+filepath.Join(dataDir, "Preferences.xml"))

	ctx := context.Background()
	f := New(filepath.Join(dataDir, "Preferences.xml"), "")
	refused := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "refusing the symlink") {
			t.Errorf("%s: want the planted link refused, got %v", what, err)
		}
		if err != nil && strings.Contains(err.Error(), "root-secret") {
			t.Errorf("%s: the error quotes the file", what)
		}
	}
	_, err := f.Read(ctx)
	refused("Read (plan)", err)
	_, base, err := f.Load(ctx)
	refused("Load (apply)", err)
	_, err = f.Stage(ctx, stores.Snapshot{Ext: "xml", Data: []byte(secretXML), Meta: stores.FileMeta{Mode: 0o600}}, []stores.Edit{{Name: "PlexOnlineToken", Remove: true}})
	refused("Stage (apply)", err)
	refused("Write (apply)", f.Write(ctx, []stores.Edit{{Name: "PlexOnlineToken", Remove: true}}))
	_, err = f.Snapshot(ctx)
	refused("Snapshot (backup)", err)
	if base.Data != nil {
		t.Errorf("Load returned the root-only bytes")
	}
	if got, _ := os.ReadFile(secret); string(got) != secretXML {
		t.Fatalf("the root-only file changed: %q", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(secret)); len(entries) != 1 {
		t.Errorf("something was left beside the root-only file: %v", entries)
	}
}
