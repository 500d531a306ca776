package fileutil

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores"
)

func TestStageLeavesTheTargetAloneUntilCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	p, err := Stage(path, []byte("new content"), stores.FileMeta{UID: -1, GID: -1, Mode: 0o640})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("staging changed the target: %q", got)
	}
	if !strings.HasPrefix(filepath.Base(p.Temp()), TempPrefix("Preferences.xml")) {
		t.Fatalf("temp file %s does not carry our prefix", p.Temp())
	}
	if err := p.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(got) != "new content" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("after commit: %q %v", got, fi.Mode())
	}
	if _, err := os.Stat(p.Temp()); !os.IsNotExist(err) {
		t.Fatalf("temp file left behind: %v", err)
	}
}

func TestDiscardRemovesTheStagedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.xml")
	os.WriteFile(path, []byte("old"), 0o600)
	p, err := Stage(path, []byte("new"), stores.FileMeta{UID: -1, GID: -1, Mode: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Discard(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("want only the target left, got %d entries", len(entries))
	}
}

func TestSameContentComparesBytes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	big := []byte(strings.Repeat("abcdefgh", 40000)) // several read chunks
	os.WriteFile(path, big, 0o600)
	for name, tc := range map[string]struct {
		want []byte
		same bool
	}{
		"equal":        {big, true},
		"shorter":      {big[:len(big)-1], false},
		"one byte off": {append(append([]byte{}, big[:len(big)-1]...), 'x'), false},
		"nil":          {nil, false},
	} {
		got, err := SameContent(path, tc.want)
		if err != nil || got != tc.same {
			t.Errorf("%s: SameContent = %v, %v; want %v", name, got, err, tc.same)
		}
	}
	if same, err := SameContent(filepath.Join(dir, "missing"), nil); !same || err != nil {
		t.Errorf("a missing file should equal nil content: %v %v", same, err)
	}
}
