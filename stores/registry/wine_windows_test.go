//go:build windows

package registry

// These tests run against a live registry: under Wine in CI (scripts/wine-test.sh) or on
// a Windows machine. They cross-check plexform with reg.exe, which has its own registry
// code, so a shared misunderstanding cannot hide.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry/regfile"
)

const testKey = `Software\plexform-test\Plex Media Server`

// seed creates the key with a value of every type through reg.exe, not through our code.
func seed(t *testing.T) stores.Store {
	t.Helper()
	regDelete(t)
	t.Cleanup(func() { regDelete(t) })
	for _, args := range [][]string{
		{"/v", "PlexOnlineToken", "/t", "REG_SZ", "/d", "tok-secret"},
		{"/v", "PlexOnlineMail", "/t", "REG_SZ", "/d", "a@example.com"},
		{"/v", "PlexOnlineUsername", "/t", "REG_SZ", "/d", `al"ice\`},
		{"/v", "PlexOnlineHome", "/t", "REG_DWORD", "/d", "1"},
		{"/v", "FriendlyName", "/t", "REG_SZ", "/d", "den"},
		{"/v", "LocalAppDataPath", "/t", "REG_EXPAND_SZ", "/d", `%LOCALAPPDATA%\x`},
		{"/v", "Big", "/t", "REG_QWORD", "/d", "12345678901"},
		{"/v", "Lines", "/t", "REG_MULTI_SZ", "/d", `one\0two`},
		{"/v", "Blob", "/t", "REG_BINARY", "/d", strings.Repeat("0123456789abcdef", 8)},
		{"/ve", "/d", "default"},
	} {
		reg(t, append([]string{"add", `HKCU\` + testKey, "/f"}, args...)...)
	}
	s, err := New(`HKCU\`+testKey, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func reg(t *testing.T, args ...string) string {
	t.Helper()
	return plexsimtest.RegOutput(t, args...)
}

func regDelete(t *testing.T) {
	plexsimtest.DeleteKey(`Software\plexform-test`)
}

// regQuery returns reg.exe's view of the key, value line by value line, without token.
func regQuery(t *testing.T) map[string]string {
	t.Helper()
	lines := map[string]string{}
	for _, l := range strings.Split(reg(t, "query", `HKCU\`+testKey), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && strings.HasPrefix(f[1], "REG_") {
			lines[f[0]] = strings.TrimSpace(l)
		}
	}
	return lines
}

var plexSignIn = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

func TestWineReadEveryType(t *testing.T) {
	s := seed(t)
	st, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]stores.Value{
		"PlexOnlineMail":     {Text: "a@example.com"},
		"PlexOnlineUsername": {Text: `al"ice\`},
		"PlexOnlineHome":     {Type: TypeDWord, Text: "1"},
		"FriendlyName":       {Text: "den"},
		"LocalAppDataPath":   {Type: TypeExpandSZ, Text: `%LOCALAPPDATA%\x`},
		"Big":                {Type: TypeQWord, Text: "12345678901"},
		"Lines":              {Type: TypeMultiSZ, Text: "one\ntwo"},
		"Blob":               {Type: TypeBinary, Text: strings.Repeat("0123456789abcdef", 8)},
		"":                   {Text: "default"},
	}
	if !st.Exists || st.Values["PlexOnlineToken"] != (stores.Value{Text: "tok-secret"}) {
		t.Error("token not read as REG_SZ") // never print it
	}
	for name, v := range want {
		if st.Values[name] != v {
			t.Errorf("%q = %+v, want %+v", name, st.Values[name], v)
		}
	}
	if len(st.Values) != len(want)+1 {
		t.Errorf("%d values, want %d", len(st.Values), len(want)+1)
	}
}

func TestWineMissingKey(t *testing.T) {
	regDelete(t)
	s, err := New(`HKCU:\`+testKey, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Read(ctx)
	if err != nil || st.Exists {
		t.Fatalf("Read = %+v, %v", st, err)
	}
	if err := s.CheckWritable(ctx); err != nil {
		t.Errorf("CheckWritable of a missing key under HKCU: %v", err)
	}
}

func TestWineRemoveSignIn(t *testing.T) {
	s := seed(t)
	before := regQuery(t)
	var edits []stores.Edit
	for _, n := range plexSignIn {
		edits = append(edits, stores.Edit{Name: n, Remove: true})
	}
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, edits); err != nil {
		t.Fatal(err)
	}
	after := regQuery(t)
	for _, n := range plexSignIn {
		if _, ok := after[n]; ok {
			t.Errorf("reg query still shows %s", n)
		}
		delete(before, n)
	}
	for name, line := range before {
		if after[name] != line {
			t.Errorf("reg query: %q changed from %q to %q", name, line, after[name])
		}
	}
	if len(after) != len(before) {
		t.Errorf("reg query shows %d values, want %d", len(after), len(before))
	}
}

// A plexform backup, imported by reg.exe as a user would, brings every value back.
func TestWineSnapshotImportsWithReg(t *testing.T) {
	s := seed(t)
	want := readRaw(t)
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	regDelete(t)
	file := tempFile(t, "backup.reg")
	if err := os.WriteFile(file, snap.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	reg(t, "import", file)
	if got := readRaw(t); !sameRaw(got, want) {
		t.Errorf("after reg import: %d values differ from the originals", countDiff(got, want))
	}
}

// plexform's parser reads what reg export writes, and gets exactly the registry's data.
func TestWineParseRegExport(t *testing.T) {
	seed(t)
	want := readRaw(t)
	file := tempFile(t, "export.reg")
	reg(t, "export", `HKCU\`+testKey, file, "/y")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := regfile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	kp, _ := regfile.ParseKeyPath(`HKCU\` + testKey)
	sections := f.Section(kp)
	if len(sections) != 1 {
		t.Fatalf("%d sections for the key", len(sections))
	}
	got := map[string]raw{}
	for _, v := range sections[0].Values {
		got[v.Name] = raw{v.Type, v.Data}
	}
	if !sameRaw(got, want) {
		t.Errorf("parsed export: %d values differ from the registry", countDiff(got, want))
	}
	// And our own encoding of that content is what reg export wrote, byte for byte.
	ours, err := regfile.Encode(&regfile.File{Keys: sections})
	if err != nil {
		t.Fatal(err)
	}
	if string(ours) != string(data) {
		t.Error("regfile.Encode differs from reg export for the same key")
	}
}

func TestWineRestoreRoundTrip(t *testing.T) {
	s := seed(t)
	want := readRaw(t)
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	edits := []stores.Edit{
		{Name: "PlexOnlineToken", Remove: true},
		{Name: "FriendlyName", Value: stores.Value{Type: TypeDWord, Text: "7"}},
		{Name: "AddedLater", Value: stores.Value{Text: "x"}},
	}
	if err := s.Write(ctx, edits); err != nil {
		t.Fatal(err)
	}
	// A value whose data no typed setter writes: REG_SZ without terminator.
	if err := s.(*store).b.set("Odd", raw{regfile.RegSZ, []byte{'x', 0}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	if got := readRaw(t); !sameRaw(got, want) {
		t.Errorf("after Restore: %d values differ", countDiff(got, want))
	}
	// And an exotic value survives Snapshot → Restore exactly.
	odd := raw{regfile.RegSZ, []byte{'x', 0}}
	if err := s.(*store).b.set("Odd", odd); err != nil {
		t.Fatal(err)
	}
	snap2, _ := s.Snapshot(ctx)
	if err := s.Write(ctx, []stores.Edit{{Name: "Odd", Remove: true}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(ctx, snap2); err != nil {
		t.Fatal(err)
	}
	if got := readRaw(t)["Odd"]; !got.equal(odd) {
		t.Errorf("Odd restored as %d % x", got.typ, got.data)
	}
}

// user: with a SID reaches the same hive through HKEY_USERS.
func TestWineUserSID(t *testing.T) {
	seed(t)
	tok := windows.GetCurrentProcessToken()
	u, err := tok.GetTokenUser()
	if err != nil {
		t.Skipf("no token user under this Windows: %v", err)
	}
	sid := u.User.Sid.String()
	if k, err := registry.OpenKey(registry.USERS, sid, registry.QUERY_VALUE); err != nil {
		t.Skipf("HKEY_USERS\\%s is not loaded here (%v); Wine maps HKCU elsewhere", sid, err)
	} else {
		k.Close()
	}
	s, err := New(`HKCU\`+testKey, sid)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Target(), `HKEY_USERS\`+sid+`\`) {
		t.Errorf("Target %q", s.Target())
	}
	st, err := s.Read(ctx)
	if err != nil || st.Values["FriendlyName"].Text != "den" {
		t.Errorf("read through HKU: exists=%v err=%v", st.Exists, err)
	}
	missing, err := New(`HKCU\`+testKey, "S-1-5-21-1-2-3-4242")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := missing.Read(ctx); err == nil || !strings.Contains(err.Error(), "not loaded") {
		t.Errorf("read of an unloaded hive: %v, want a 'not loaded' error", err)
	}
}

func readRaw(t *testing.T) map[string]raw {
	t.Helper()
	s, err := New(`HKCU\`+testKey, "")
	if err != nil {
		t.Fatal(err)
	}
	values, _, err := s.(*store).b.readAll()
	if err != nil {
		t.Fatal(err)
	}
	return values
}

func sameRaw(a, b map[string]raw) bool { return countDiff(a, b) == 0 }

func countDiff(a, b map[string]raw) int {
	n := 0
	for k, v := range a {
		if w, ok := b[k]; !ok || !w.equal(v) {
			n++
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			n++
		}
	}
	return n
}

// tempFile is a path in a fresh directory. t.TempDir's cleanup fails under Wine 8
// (os.RemoveAll's unlinkat gets "Invalid function"); plain Remove works.
func tempFile(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "plexform-test")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	t.Cleanup(func() {
		os.Remove(file)
		os.Remove(dir)
	})
	return file
}
