// Package storetest is the conformance suite every store kind runs, so that the promises
// of stores.Store hold for each of them in the same words: a missing store reads as
// empty, a write changes exactly what it names, `absent` removes every spelling, a
// snapshot restores byte for byte (owner and mode included), a failed write leaves the
// store as it was, and malformed content is stores.ErrMalformed without being quoted.
//
// A store package calls Run from its own tests with a Harness that makes stores of its
// kind:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, harness) }
package storetest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/plexform/plexform/stores"
)

// Harness makes stores of one kind for the suite. New and Missing are required; the
// others may be nil when the kind cannot be put in that state, and the tests that need
// them are skipped with a reason.
type Harness struct {
	// New returns a store that exists and holds exactly values.
	New func(t *testing.T, values map[string]stores.Value) stores.Store
	// Missing returns a store whose file or key does not exist.
	Missing func(t *testing.T) stores.Store
	// Malformed returns a store whose content cannot be parsed and that holds secret.
	Malformed func(t *testing.T, secret string) stores.Store
	// Break makes every later write to s fail in its storage (a directory that cannot be
	// written, a registry value that cannot be set) until the test ends. It returns false
	// when that cannot be arranged here.
	Break func(t *testing.T, s stores.Store) bool
	// Values is what New is given in most tests: some values of every type the kind
	// holds. It must not hold names starting with "PlexOnline" or "Conformance".
	Values map[string]stores.Value
	// Set is a value of a type the kind holds other than plain text, to write; zero for
	// kinds that hold only text.
	Set stores.Value
	// Invalid is a value the kind must refuse to write (an impossible type or text).
	Invalid stores.Edit
	// FoldsCase is true for stores whose names ignore case themselves (the registry):
	// they cannot hold two spellings of one name.
	FoldsCase bool
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Helper()
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"ReadMissing", testReadMissing},
		{"WriteThenRead", testWriteThenRead},
		{"WriteIsIdempotent", testWriteIsIdempotent},
		{"AbsentRemovesEverySpelling", testAbsentRemovesEverySpelling},
		{"SnapshotRestore", testSnapshotRestore},
		{"RestoreWithoutMetaKeepsOwnerAndMode", testRestoreWithoutMeta},
		{"MalformedSnapshotIsRefused", testMalformedSnapshot},
		{"InvalidWriteLeavesStore", testInvalidWriteLeavesStore},
		{"BrokenWriteLeavesStore", testBrokenWriteLeavesStore},
		{"MalformedIsRefused", testMalformedIsRefused},
		{"StagerLoadIsReadAndSnapshot", testStagerLoad},
		{"StagerStageThenCommit", testStagerCommit},
		{"StagerDiscardLeavesStore", testStagerDiscard},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}

// secret stands for a token in the stores the suite makes: no error may contain it.
const secret = "conformance-secret-Qm7Rk2Vx9Lp4"

func ctx(t *testing.T) context.Context { return t.Context() }

func read(t *testing.T, s stores.Store) stores.State {
	t.Helper()
	st, err := s.Read(ctx(t))
	if err != nil {
		t.Fatalf("read %s: %v", s.Target(), err)
	}
	return st
}

func snapshot(t *testing.T, s stores.Store) stores.Snapshot {
	t.Helper()
	snap, err := s.Snapshot(ctx(t))
	if err != nil {
		t.Fatalf("snapshot %s: %v", s.Target(), err)
	}
	return snap
}

// sameSnapshot fails unless a and b hold the same bytes, owner, group and mode.
func sameSnapshot(t *testing.T, what string, a, b stores.Snapshot) {
	t.Helper()
	if string(a.Data) != string(b.Data) {
		t.Errorf("%s: the store's bytes changed (%d bytes before, %d after)", what, len(a.Data), len(b.Data))
	}
	if a.Meta.UID != b.Meta.UID || a.Meta.GID != b.Meta.GID || a.Meta.Mode != b.Meta.Mode {
		t.Errorf("%s: owner/mode changed from %d:%d %04o to %d:%d %04o", what,
			a.Meta.UID, a.Meta.GID, a.Meta.Mode, b.Meta.UID, b.Meta.GID, b.Meta.Mode)
	}
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("an error quotes the store's content: it contains the secret value")
	}
}

func withSignIn(h Harness) map[string]stores.Value {
	v := maps.Clone(h.Values)
	v["PlexOnlineToken"] = stores.Value{Text: secret}
	v["PlexOnlineMail"] = stores.Value{Text: "jane@example.com"}
	return v
}

func testReadMissing(t *testing.T, h Harness) {
	s := h.Missing(t)
	st, err := s.Read(ctx(t))
	if err != nil {
		t.Fatalf("Read of a missing store: %v", err)
	}
	if st.Exists || len(st.Values) != 0 {
		t.Errorf("Read of a missing store = %+v; want Exists false and no values", st)
	}
	// Removing from a missing store is "nothing to remove": no error, still missing.
	if err := s.Write(ctx(t), []stores.Edit{{Name: "PlexOnlineToken", Remove: true}}); err != nil {
		t.Errorf("Write of a removal to a missing store: %v", err)
	}
	if st := read(t, s); st.Exists {
		t.Errorf("a removal created the store")
	}
}

func testWriteThenRead(t *testing.T, h Harness) {
	before := withSignIn(h)
	s := h.New(t, before)
	if d := cmp.Diff(before, read(t, s).Values); d != "" {
		t.Fatalf("a new store does not read back what it was made with (-want +got):\n%s", d)
	}
	changed := slices.Sorted(maps.Keys(h.Values))[0]
	edits := []stores.Edit{
		{Name: "PlexOnlineToken", Remove: true},
		{Name: changed, Value: stores.Value{Text: "changed value & <more>"}},
		{Name: "ConformanceAdded", Value: stores.Value{Text: "added \"quoted\" ü"}},
	}
	want := maps.Clone(before)
	delete(want, "PlexOnlineToken")
	want[changed] = stores.Value{Text: "changed value & <more>"}
	want["ConformanceAdded"] = stores.Value{Text: "added \"quoted\" ü"}
	if h.Set != (stores.Value{}) {
		edits = append(edits, stores.Edit{Name: "ConformanceTyped", Value: h.Set})
		want["ConformanceTyped"] = h.Set
	}
	meta := snapshot(t, s).Meta
	if err := s.Write(ctx(t), edits); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if got := snapshot(t, s).Meta; got.UID != meta.UID || got.GID != meta.GID || got.Mode != meta.Mode {
		t.Errorf("Write changed owner/mode from %d:%d %04o to %d:%d %04o", meta.UID, meta.GID, meta.Mode, got.UID, got.GID, got.Mode)
	}
	st := read(t, s)
	if !st.Exists {
		t.Fatal("the store does not exist after a write")
	}
	if d := cmp.Diff(want, st.Values); d != "" {
		t.Errorf("values after Write (-want +got):\n%s", strings.ReplaceAll(d, secret, "<secret>"))
	}
}

func testWriteIsIdempotent(t *testing.T, h Harness) {
	s := h.New(t, withSignIn(h))
	edits := []stores.Edit{{Name: "PlexOnlineToken", Remove: true}, {Name: "ConformanceAdded", Value: stores.Value{Text: "x"}}}
	if err := s.Write(ctx(t), edits); err != nil {
		t.Fatalf("Write: %v", err)
	}
	first := snapshot(t, s)
	if err := s.Write(ctx(t), edits); err != nil {
		t.Fatalf("the same Write again: %v", err)
	}
	sameSnapshot(t, "a second Write of the same edits", first, snapshot(t, s))
}

// testAbsentRemovesEverySpelling: `absent` names one spelling and the store may hold
// several; plan.Diff (which this package cannot import: plan imports the stores) turns
// it into one removal per spelling Read reports, and every one must go.
func testAbsentRemovesEverySpelling(t *testing.T, h Harness) {
	values := maps.Clone(h.Values)
	values["PlexOnlineToken"] = stores.Value{Text: secret}
	values["PLEXONLINEMAIL"] = stores.Value{Text: "jane@example.com"}
	if !h.FoldsCase {
		values["plexonlinetoken"] = stores.Value{Text: secret + "-old"}
		values["PlexOnlineMail"] = stores.Value{Text: "jane@example.com"}
	}
	s := h.New(t, values)
	var edits []stores.Edit
	for name := range read(t, s).Values {
		for _, absent := range []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineHome"} {
			if strings.EqualFold(name, absent) {
				edits = append(edits, stores.Edit{Name: name, Remove: true})
			}
		}
	}
	if h.FoldsCase {
		// The store itself must match ignoring case: a removal spelled as the plan
		// spells it finds the value under the store's spelling.
		edits = append(edits, stores.Edit{Name: "plexonlinemail", Remove: true})
	}
	slices.SortFunc(edits, func(a, b stores.Edit) int { return strings.Compare(a.Name, b.Name) })
	if err := s.Write(ctx(t), edits); err != nil {
		t.Fatalf("Write: %v", err)
	}
	after := read(t, s)
	for name := range after.Values {
		if strings.HasPrefix(strings.ToLower(name), "plexonline") {
			t.Errorf("%s is still there after absent removed every spelling", name)
		}
	}
	if d := cmp.Diff(h.Values, after.Values); d != "" {
		t.Errorf("values other than the absent ones changed (-want +got):\n%s", d)
	}
}

func testSnapshotRestore(t *testing.T, h Harness) {
	s := h.New(t, withSignIn(h))
	snap := snapshot(t, s)
	readBefore := read(t, s)
	if err := s.Write(ctx(t), []stores.Edit{
		{Name: "PlexOnlineToken", Remove: true},
		{Name: "PlexOnlineMail", Remove: true},
		{Name: "ConformanceAdded", Value: stores.Value{Text: "added"}},
	}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := s.Restore(ctx(t), snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	sameSnapshot(t, "Snapshot, Write, Restore", snap, snapshot(t, s))
	if d := cmp.Diff(readBefore, read(t, s)); d != "" {
		t.Errorf("values after Restore (-want +got):\n%s", strings.ReplaceAll(d, secret, "<secret>"))
	}
}

// testRestoreWithoutMeta: a snapshot that records no owner, group or mode (one made by
// hand from a copy of the file) restores its bytes with the store's current owner,
// group and mode, never root's and 0000.
func testRestoreWithoutMeta(t *testing.T, h Harness) {
	s := h.New(t, withSignIn(h))
	snap := snapshot(t, s)
	bare := stores.Snapshot{Ext: snap.Ext, Data: snap.Data}
	if err := s.Write(ctx(t), []stores.Edit{{Name: "PlexOnlineToken", Remove: true}}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := s.Restore(ctx(t), bare); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	sameSnapshot(t, "Restore of a snapshot without owner and mode", snap, snapshot(t, s))
}

// testMalformedSnapshot: a backup copy is only a file in a directory and may be damaged.
// CheckSnapshot accepts the store's own snapshot and refuses bytes that do not parse,
// without quoting them, and Restore refuses them too, leaving the store as it was.
func testMalformedSnapshot(t *testing.T, h Harness) {
	s := h.New(t, withSignIn(h))
	own := snapshot(t, s)
	if err := s.CheckSnapshot(own); err != nil {
		t.Fatalf("CheckSnapshot of the store's own snapshot: %v", err)
	}
	damaged := own
	damaged.Data = []byte("<<" + secret + "\x00")
	err := s.CheckSnapshot(damaged)
	if !errors.Is(err, stores.ErrMalformed) {
		t.Fatalf("CheckSnapshot of damaged bytes: %v, want an error wrapping ErrMalformed", err)
	}
	noSecret(t, err)
	if err := s.Restore(ctx(t), damaged); err == nil {
		t.Fatal("Restore of damaged bytes succeeded")
	} else {
		noSecret(t, err)
	}
	sameSnapshot(t, "a Restore of damaged bytes", own, snapshot(t, s))
}

func testInvalidWriteLeavesStore(t *testing.T, h Harness) {
	s := h.New(t, withSignIn(h))
	before := snapshot(t, s)
	// The removal is valid and comes first: a store that applied edits one by one would
	// have made it before meeting the invalid one.
	err := s.Write(ctx(t), []stores.Edit{{Name: "PlexOnlineToken", Remove: true}, h.Invalid})
	if err == nil {
		t.Fatalf("Write of an invalid value (%s of type %q) succeeded", h.Invalid.Name, h.Invalid.Value.Type)
	}
	noSecret(t, err)
	sameSnapshot(t, "a Write that failed", before, snapshot(t, s))
}

func testBrokenWriteLeavesStore(t *testing.T, h Harness) {
	if h.Break == nil {
		t.Skip("this kind cannot make its storage refuse writes")
	}
	s := h.New(t, withSignIn(h))
	before := snapshot(t, s)
	if !h.Break(t, s) {
		t.Skip("the storage cannot be made to refuse writes here")
	}
	err := s.Write(ctx(t), []stores.Edit{
		{Name: "PlexOnlineToken", Remove: true},
		{Name: "PlexOnlineMail", Remove: true},
		{Name: "ConformanceAdded", Value: stores.Value{Text: "added"}},
	})
	if err == nil {
		t.Fatal("Write succeeded on storage that refuses writes")
	}
	noSecret(t, err)
	sameSnapshot(t, "a Write the storage refused", before, snapshot(t, s))
}

func testMalformedIsRefused(t *testing.T, h Harness) {
	if h.Malformed == nil {
		t.Skip("this kind has no content that can be malformed")
	}
	s := h.Malformed(t, secret)
	_, err := s.Read(ctx(t))
	if !errors.Is(err, stores.ErrMalformed) {
		t.Fatalf("Read of malformed content: %v; want an error wrapping stores.ErrMalformed", err)
	}
	noSecret(t, err)
	before := snapshot(t, s)
	err = s.Write(ctx(t), []stores.Edit{{Name: "PlexOnlineToken", Remove: true}})
	if err == nil {
		t.Fatal("Write to malformed content succeeded")
	}
	noSecret(t, err)
	sameSnapshot(t, "a Write to malformed content", before, snapshot(t, s))
}

// HangGuard is how long Bounded lets a parse run before it calls it a hang. It is not a
// speed limit: a parse of a hostile file takes milliseconds; a hang takes forever.
const HangGuard = 30 * time.Second

// Bounded runs f, which must return, and fails the test if it has not after HangGuard:
// a hostile file must give an error, not hang the reader while Plex is stopped.
func Bounded(t testing.TB, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(HangGuard):
		panic(fmt.Sprintf("%s did not return within %s: it hangs", what, HangGuard))
	}
}

// stager returns s as a stores.Stager, or skips: staging is optional.
func stager(t *testing.T, s stores.Store) stores.Stager {
	t.Helper()
	st, ok := s.(stores.Stager)
	if !ok {
		t.Skip("this kind does not stage writes")
	}
	return st
}

func testStagerLoad(t *testing.T, h Harness) {
	s := stager(t, h.New(t, withSignIn(h)))
	st, base, err := s.Load(ctx(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if d := cmp.Diff(read(t, s), st); d != "" {
		t.Errorf("Load and Read disagree (-Read +Load):\n%s", strings.ReplaceAll(d, secret, "<secret>"))
	}
	sameSnapshot(t, "Load's base against Snapshot", snapshot(t, s), base)
	if same, err := s.Unchanged(ctx(t), base); err != nil || !same {
		t.Errorf("Unchanged right after Load = %v, %v; want true", same, err)
	}
	missing := stager(t, h.Missing(t))
	if st, _, err := missing.Load(ctx(t)); err != nil || st.Exists {
		t.Errorf("Load of a missing store = %+v, %v; want Exists false", st, err)
	}
}

// loadAndStage loads s and stages edits on what it loaded.
func loadAndStage(t *testing.T, s stores.Stager, edits []stores.Edit) (stores.Snapshot, stores.Staged) {
	t.Helper()
	_, base, err := s.Load(ctx(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	staged, err := s.Stage(ctx(t), base, edits)
	if err != nil {
		t.Fatalf("Stage: %v", err)
	}
	return base, staged
}

func testStagerCommit(t *testing.T, h Harness) {
	s := stager(t, h.New(t, withSignIn(h)))
	base, staged := loadAndStage(t, s, []stores.Edit{{Name: "PlexOnlineToken", Remove: true}, {Name: "ConformanceAdded", Value: stores.Value{Text: "x"}}})
	sameSnapshot(t, "Stage (before Commit)", base, snapshot(t, s))
	if err := staged.Commit(ctx(t)); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	want := withSignIn(h)
	delete(want, "PlexOnlineToken")
	want["ConformanceAdded"] = stores.Value{Text: "x"}
	if d := cmp.Diff(want, read(t, s).Values); d != "" {
		t.Errorf("values after Commit (-want +got):\n%s", d)
	}
	if same, err := s.Unchanged(ctx(t), base); err != nil || same {
		t.Errorf("Unchanged after a commit = %v, %v; want false", same, err)
	}
}

func testStagerDiscard(t *testing.T, h Harness) {
	s := stager(t, h.New(t, withSignIn(h)))
	base, staged := loadAndStage(t, s, []stores.Edit{{Name: "PlexOnlineToken", Remove: true}})
	if err := staged.Discard(); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	sameSnapshot(t, "Stage, Discard", base, snapshot(t, s))
	if tmp := staged.Temp(); tmp != "" {
		if _, err := os.Lstat(tmp); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the staged file %s is still there after Discard (it holds the store's content)", tmp)
		}
	}
}
