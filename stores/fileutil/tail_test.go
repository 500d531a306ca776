//go:build unix

package fileutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// ReadTail reads the lines after from; a from past the end (the log was rotated) reads
// all of it.
func TestReadTailFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Plex Media Server.log")
	write(t, path, "old 1\nold 2\nnew 1\nnew 2\n")
	for _, tc := range []struct {
		from int64
		want []string
	}{
		{int64(len("old 1\nold 2\n")), []string{"new 1", "new 2"}},
		{0, []string{"old 1", "old 2", "new 1", "new 2"}},
		{1 << 20, []string{"old 1", "old 2", "new 1", "new 2"}},
		{int64(len("old 1\nold 2\nnew 1\nnew 2\n")), nil},
	} {
		got, err := Root{}.ReadTail(path, tc.from)
		if err != nil || !reflect.DeepEqual(got.Lines, tc.want) || got.Skipped != 0 || got.Size != 24 {
			t.Errorf("ReadTail(from %d) = %+v, %v; want lines %q", tc.from, got, err, tc.want)
		}
	}
	if _, err := (Root{}).ReadTail(filepath.Join(t.TempDir(), "none.log"), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing log: %v, want fs.ErrNotExist", err)
	}
}

// More new text than the window: only its end is read, from the first whole line, and
// what was left is counted.
func TestReadTailWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	write(t, path, "aaaa\nbbbb\ncccc\ndddd\n")
	got, err := Root{}.readTail(path, 0, 12) // "bb\ncccc\ndddd\n"
	if err != nil || !reflect.DeepEqual(got.Lines, []string{"cccc", "dddd"}) || got.Skipped != 8 {
		t.Errorf("readTail = %+v, %v; want cccc, dddd with 8 skipped", got, err)
	}
	// A window that starts at a line keeps that line.
	got, err = Root{}.readTail(path, 0, 10) // "cccc\ndddd\n"
	if err != nil || !reflect.DeepEqual(got.Lines, []string{"cccc", "dddd"}) || got.Skipped != 10 {
		t.Errorf("readTail of a window at a line = %+v, %v; want cccc, dddd with 10 skipped", got, err)
	}
	got, err = Root{}.readTail(path, 15, 12)
	if err != nil || !reflect.DeepEqual(got.Lines, []string{"dddd"}) || got.Skipped != 0 {
		t.Errorf("readTail from 15 = %+v, %v; want dddd", got, err)
	}
	// One line longer than the window: nothing whole is left to read.
	write(t, path, strings.Repeat("x", 40)+"\n")
	if got, err = (Root{}).readTail(path, 0, 12); err != nil || got.Lines != nil {
		t.Errorf("a line longer than the window = %+v, %v; want no lines", got, err)
	}
}

// A 2 GiB log (sparse, so the disk holds nothing) costs one window, not gigabytes: the
// bytes ReadTail allocates stay below a few windows.
func TestReadTailMemoryBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		f.Close()
		t.Skipf("no sparse 2 GiB file here: %v", err)
	}
	if _, err := f.WriteAt([]byte("\nERROR - MyPlex: 401\n"), 2<<30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	allocated := allocatedBy(t, func() {
		got, err := Root{}.ReadTail(path, 0)
		if err != nil || len(got.Lines) != 1 || got.Lines[0] != "ERROR - MyPlex: 401" || got.Skipped <= 0 {
			t.Errorf("ReadTail = %d lines (%q...), skipped %d, %v", len(got.Lines), firstOf(got.Lines), got.Skipped, err)
		}
	})
	t.Logf("ReadTail of a %d-byte log allocated %d bytes", int64(2<<30)+21, allocated)
	if limit := uint64(4 * LogWindow); allocated > limit {
		t.Errorf("ReadTail allocated %d bytes, more than %d", allocated, limit)
	}
}

// allocatedBy is the bytes fn allocates on the heap (runtime.MemStats.TotalAlloc).
func allocatedBy(t *testing.T, fn func()) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func firstOf(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[0][:min(len(lines[0]), 20)]
}

// BenchmarkReadTailHugeLog reads the end of a sparse 2 GiB log: B/op is what one read
// costs (about LogWindow twice: the bytes and their text), whatever the log's size.
func BenchmarkReadTailHugeLog(b *testing.B) {
	path := filepath.Join(b.TempDir(), "huge.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		b.Skipf("no sparse 2 GiB file here: %v", err)
	}
	f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Root{}).ReadTail(path, 0); err != nil {
			b.Fatal(err)
		}
	}
}
