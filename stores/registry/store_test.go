package registry

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry/regfile"
)

// memKey is an in-memory registry key; failOn makes set/remove of that name fail.
type memKey struct {
	values map[string]raw // nil: the key does not exist
	failOn string
	writes int
}

func (m *memKey) readAll() (map[string]raw, bool, error) {
	if m.values == nil {
		return nil, false, nil
	}
	out := map[string]raw{}
	for k, v := range m.values {
		out[k] = v
	}
	return out, true, nil
}

func (m *memKey) set(name string, r raw) error {
	if strings.EqualFold(name, m.failOn) {
		return errors.New("access denied")
	}
	if m.values == nil {
		m.values = map[string]raw{}
	}
	m.writes++
	m.values[name] = r
	return nil
}

func (m *memKey) remove(name string) error {
	if strings.EqualFold(name, m.failOn) {
		return errors.New("access denied")
	}
	for n := range m.values {
		if strings.EqualFold(n, name) {
			m.writes++
			delete(m.values, n)
		}
	}
	return nil
}

func (m *memKey) checkWritable() error { return nil }

const plexKey = `HKCU\Software\Plex, Inc.\Plex Media Server`

func newMem(t *testing.T, values map[string]raw) (*store, *memKey) {
	t.Helper()
	kp, err := regfile.ParseKeyPath(plexKey)
	if err != nil {
		t.Fatal(err)
	}
	m := &memKey{values: values}
	return &store{key: kp, b: m}, m
}

func plexValues() map[string]raw {
	return map[string]raw{
		"PlexOnlineToken":    {regfile.RegSZ, encodeString("tok-secret")},
		"PlexOnlineUsername": {regfile.RegSZ, encodeString("alice")},
		"FriendlyName":       {regfile.RegSZ, encodeString("den")},
		"AcceptedEULA":       {regfile.RegDWord, []byte{1, 0, 0, 0}},
		"Odd":                {regfile.RegSZ, []byte{'x', 0}}, // no terminator
		"":                   {regfile.RegSZ, encodeString("default")},
	}
}

var ctx = context.Background()

func TestReadMissingKey(t *testing.T) {
	s, _ := newMem(t, nil)
	st, err := s.Read(ctx)
	if err != nil || st.Exists || len(st.Values) != 0 {
		t.Fatalf("Read = %+v, %v; want not existing", st, err)
	}
	if err := s.Write(ctx, []stores.Edit{{Name: "PlexOnlineToken", Remove: true}}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Read(ctx); st.Exists {
		t.Error("removing from a missing key created it")
	}
}

func TestWriteTouchesOnlyNamedValues(t *testing.T) {
	s, m := newMem(t, plexValues())
	err := s.Write(ctx, []stores.Edit{
		{Name: "plexonlinetoken", Remove: true}, // the registry ignores case
		{Name: "PlexOnlineUsername", Remove: true},
		{Name: "PlexOnlineMail", Remove: true}, // absent already: nothing to do
		{Name: "Port", Value: stores.Value{Type: "REG_DWORD", Text: "0x7d00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := plexValues()
	delete(want, "PlexOnlineToken")
	delete(want, "PlexOnlineUsername")
	want["Port"] = raw{regfile.RegDWord, []byte{0x00, 0x7d, 0, 0}}
	if d := cmp.Diff(want, m.values, cmp.AllowUnexported(raw{})); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if m.writes != 3 {
		t.Errorf("%d writes, want 3", m.writes)
	}
}

func TestWriteFailureRollsBack(t *testing.T) {
	s, m := newMem(t, plexValues())
	m.failOn = "PlexOnlineUsername"
	err := s.Write(ctx, []stores.Edit{
		{Name: "PlexOnlineToken", Remove: true},
		{Name: "FriendlyName", Value: stores.Value{Text: "attic"}},
		{Name: "PlexOnlineUsername", Remove: true},
	})
	if err == nil || !strings.Contains(err.Error(), "2 value(s) already changed were put back") {
		t.Fatalf("error %v should say the changes were put back", err)
	}
	if strings.Contains(err.Error(), "tok-secret") {
		t.Error("error leaks the token")
	}
	if d := cmp.Diff(plexValues(), m.values, cmp.AllowUnexported(raw{})); d != "" {
		t.Errorf("not rolled back (-want +got):\n%s", d)
	}
}

func TestWriteRejectsBadValueBeforeTouching(t *testing.T) {
	s, m := newMem(t, plexValues())
	err := s.Write(ctx, []stores.Edit{
		{Name: "PlexOnlineToken", Remove: true},
		{Name: "Port", Value: stores.Value{Type: "REG_DWORD", Text: "-1"}},
	})
	if err == nil || m.writes != 0 {
		t.Fatalf("err %v, %d writes; want an error and no writes", err, m.writes)
	}
}

func TestSnapshotRestoreExact(t *testing.T) {
	s, m := newMem(t, plexValues())
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Ext != "reg" {
		t.Errorf("Ext %q", snap.Ext)
	}
	if err := s.Write(ctx, []stores.Edit{
		{Name: "PlexOnlineToken", Remove: true},
		{Name: "FriendlyName", Value: stores.Value{Type: "REG_EXPAND_SZ", Text: "x"}},
		{Name: "NewSince", Value: stores.Value{Text: "added"}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(plexValues(), m.values, cmp.AllowUnexported(raw{})); d != "" {
		t.Errorf("restore (-want +got):\n%s", d)
	}
}

func TestSnapshotOfMissingKeyRestoresEmpty(t *testing.T) {
	s, m := newMem(t, nil)
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(regText(t, snap.Data), "[-HKEY_CURRENT_USER\\Software\\Plex, Inc.\\Plex Media Server]") {
		t.Errorf("snapshot of a missing key should delete it on import")
	}
	if err := s.Write(ctx, []stores.Edit{{Name: "A", Value: stores.Value{Text: "1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if len(m.values) != 0 {
		t.Errorf("values left: %v", m.values)
	}
}

func TestRestoreRejectsOtherKey(t *testing.T) {
	s, m := newMem(t, plexValues())
	other, _ := regfile.Encode(&regfile.File{Keys: []regfile.Key{{Path: `HKEY_CURRENT_USER\Software\Other`}}})
	err := s.Restore(ctx, stores.Snapshot{Ext: "reg", Data: other})
	if !errors.Is(err, stores.ErrMalformed) || m.writes != 0 {
		t.Errorf("err %v, %d writes", err, m.writes)
	}
}

func regText(t *testing.T, b []byte) string {
	t.Helper()
	f, err := regfile.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, k := range f.Keys {
		if k.Delete {
			sb.WriteString("[-" + k.Path + "]\n")
		} else {
			sb.WriteString("[" + k.Path + "]\n")
		}
	}
	return sb.String()
}
