package xmlattrs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/bench/fixture"
	"github.com/plexform/plexform/stores"
)

const bigSize = 5 << 20

// forEachBigShape runs bench on a 5 MB Preferences.xml of each shape, written to a
// temporary file, reporting throughput in MB/s of the file.
func forEachBigShape(b *testing.B, bench func(b *testing.B, f *File)) {
	for _, shape := range []fixture.Shape{fixture.LongAttributes, fixture.ChildContent} {
		b.Run(shape.String(), func(b *testing.B) {
			data := fixture.Large(bigSize, shape)
			path := filepath.Join(b.TempDir(), "Preferences.xml")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			bench(b, New(path, ""))
		})
	}
}

func BenchmarkRead(b *testing.B) {
	forEachBigShape(b, func(b *testing.B, f *File) {
		for b.Loop() {
			st, err := f.Read(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if _, ok := st.Values["PlexOnlineToken"]; !ok {
				b.Fatal("read did not find PlexOnlineToken")
			}
		}
	})
}

// signInEdits removes the sign-in values, or sets them back to a made-up value.
func signInEdits(remove bool) []stores.Edit {
	edits := make([]stores.Edit, len(fixture.SignIn))
	for i, name := range fixture.SignIn {
		edits[i] = stores.Edit{Name: name, Remove: remove, Value: stores.Value{Text: "made-up"}}
	}
	return edits
}

// BenchmarkWrite alternates removing the sign-in values and setting them back, so every
// write is a real edit of a 5 MB file: read, parse, edit, atomic replace with fsyncs.
func BenchmarkWrite(b *testing.B) {
	forEachBigShape(b, func(b *testing.B, f *File) {
		removed := false
		for b.Loop() {
			removed = !removed
			if err := f.Write(context.Background(), signInEdits(removed)); err != nil {
				b.Fatal(err)
			}
		}
		st, err := f.Read(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if _, has := st.Values["PlexOnlineToken"]; has == removed {
			b.Fatalf("after the last write PlexOnlineToken present = %v, want %v", has, !removed)
		}
	})
}

// BenchmarkEdited is BenchmarkWrite without the file system: parse and edit in memory,
// to tell the store's own cost from read/fsync/rename.
func BenchmarkEdited(b *testing.B) {
	forEachBigShape(b, func(b *testing.B, f *File) {
		raw, err := os.ReadFile(f.Target())
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			doc, err := parseDocument(raw, "", "")
			if err != nil {
				b.Fatal(err)
			}
			out, err := doc.edited(signInEdits(true))
			if err != nil {
				b.Fatal(err)
			}
			if len(out) >= len(raw) {
				b.Fatalf("the edit removed nothing: %d bytes from %d", len(out), len(raw))
			}
		}
	})
}
