package plist

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/plexform/plexform/stores"
)

func FuzzPlistRead(f *testing.F) {
	for _, name := range []string{"prefs.binary.plist", "prefs.xml.plist"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)-7])
	}
	f.Add([]byte(`{ A = "b"; N = <*I5>; D = <00ff>; L = (1, "x"); }`))
	f.Add([]byte(`{ A = b; }`))
	f.Add([]byte(`<?xml version="1.0"?><plist version="1.0"><dict><key>A</key><string>&amp;</string><!-- c --><key>B</key><dict/></dict></plist>`))
	f.Add([]byte("bplist00"))
	// Hostile files (the large ones stand in by their one-level-too-deep kin).
	for _, tc := range hostilePlists {
		if len(tc.data) < 64<<10 {
			f.Add(tc.data)
		}
	}
	f.Add([]byte(""))

	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := decode(data)
		if err != nil {
			if !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("parse failure not marked malformed: %v", err)
			}
			return
		}
		before := doc.state()

		// Through the store: removing a key that is not there changes nothing.
		path := filepath.Join(t.TempDir(), "p.plist")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f := NewFile(path)
		if err := f.Write(context.Background(), []stores.Edit{{Name: "\x00absent", Remove: true}}); err != nil {
			t.Fatalf("remove of nothing: %v", err)
		}
		after, err := f.Read(context.Background())
		if err != nil {
			t.Fatalf("read after remove of nothing: %v", err)
		}
		if d := diff(before, after); d != "" {
			t.Fatalf("values changed (-before +after):\n%s", d)
		}

		// A forced rewrite, unchanged and with one key removed, must read back exactly.
		// encode may refuse (it verifies), but must never produce something else.
		expect := func(root map[string]any, edits []stores.Edit) {
			out, err := doc.encode(root, edits)
			if err != nil {
				return
			}
			back, err := decode(out)
			if err != nil {
				t.Fatalf("rewrite does not parse: %v", err)
			}
			want := (&document{root: root}).state()
			if d := diff(want, back.state()); d != "" {
				t.Fatalf("rewrite reads back differently (-want +got):\n%s", d)
			}
		}
		expect(doc.root, nil)
		if len(doc.root) > 0 {
			keys := make([]string, 0, len(doc.root))
			for k := range doc.root {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			edits := []stores.Edit{{Name: keys[0], Remove: true}}
			root, _, err := doc.apply(edits)
			if err != nil {
				t.Fatal(err)
			}
			expect(root, edits)
		}
	})
}

func BenchmarkRead(b *testing.B) {
	for _, name := range []string{"prefs.binary.plist", "prefs.xml.plist"} {
		b.Run(name, func(b *testing.B) {
			f := NewFile(filepath.Join("testdata", name))
			for b.Loop() {
				if _, err := f.Read(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWriteXML(b *testing.B) {
	path := fixture(b, "prefs.xml.plist")
	orig, _ := os.ReadFile(path)
	f := NewFile(path)
	for b.Loop() {
		if err := os.WriteFile(path, orig, 0o600); err != nil {
			b.Fatal(err)
		}
		if err := f.Write(context.Background(), resetEdits()); err != nil {
			b.Fatal(err)
		}
	}
}
