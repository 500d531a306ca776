package xmlattrs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/stores"
)

// Stage edits the base it is given: the document Load parsed is reused only for the very
// bytes Load returned, never for other bytes (a base read again after the server wrote
// on shutdown, or equal bytes held elsewhere).
func TestStageEditsTheBaseItIsGiven(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "Preferences.xml")
	first := []byte(`<Preferences A="1" PlexOnlineToken="t1" B="2"/>` + "\n")
	if err := os.WriteFile(path, first, 0o640); err != nil {
		t.Fatal(err)
	}
	f := New(path, "", RequireRoot("Preferences"))
	_, base, err := f.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	remove := []stores.Edit{{Name: "PlexOnlineToken", Remove: true}}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"the loaded bytes", base.Data, `<Preferences A="1" B="2"/>` + "\n"},
		{"a copy of them", bytes.Clone(base.Data), `<Preferences A="1" B="2"/>` + "\n"},
		// Same length, other offsets: a stale cached tag would cut the wrong bytes.
		{"other bytes of the same length", []byte(`<Preferences PlexOnlineToken="t2" A="9" B="2"/>` + "\n"), `<Preferences A="9" B="2"/>` + "\n"},
	} {
		p, err := f.Stage(ctx, stores.Snapshot{Ext: "xml", Data: c.data, Meta: base.Meta}, remove)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := p.Commit(ctx); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := p.Durable(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("%s: staged %q, want %q", c.name, got, c.want)
		}
	}
}
