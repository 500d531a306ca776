package plan

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores"
)

// TestEveryFieldOfEveryKindDecodes: the table of kinds names only fields the decoder
// (fieldTable) knows, and the decoder knows no field that no kind takes.
func TestEveryFieldOfEveryKindDecodes(t *testing.T) {
	used := map[string]bool{}
	for _, name := range KindNames() {
		k := KindOf(name)
		for _, f := range k.allFields() {
			used[f] = true
			if fieldTable[f] == nil {
				t.Errorf("kind %s takes field %q, which has no entry in fieldTable", name, f)
			}
		}
		for _, f := range append(append(append([]string{}, k.Required...), k.OneOf...), sortedKeys(k.FieldOS)...) {
			if !slices.Contains(k.Fields, f) {
				t.Errorf("kind %s requires %q, which it does not take", name, f)
			}
		}
		for _, m := range k.Managers {
			for _, f := range m.Needs {
				if !slices.Contains(m.Fields, f) {
					t.Errorf("manager %s needs %q, which it does not read", m.Name, f)
				}
			}
		}
		for _, a := range k.ActsAs {
			if ak := KindOf(a); ak == nil || ak.Open == nil {
				t.Errorf("kind %s acts as %q, which is no store kind that opens", name, a)
			}
		}
		if k.Role == RoleStore && !k.Discovered && (k.Open == nil || k.At == nil) {
			t.Errorf("store kind %s has no constructor (Open) or restore constructor (At)", name)
		}
		if (len(k.Types) > 0) != (k.Canonical != nil) {
			t.Errorf("kind %s: typed values (%v) and a canonicalizer go together", name, k.Types)
		}
	}
	for f := range fieldTable {
		if !used[f] {
			t.Errorf("fieldTable has %q, which no kind takes", f)
		}
	}
}

// TestStoreKindsOpenFromTheTable: each concrete store kind's Open and At give a store of
// the target named; a discovered kind has neither (the host finds what acts for it).
func TestStoreKindsOpenFromTheTable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "Preferences.xml")
	for _, kind := range []string{KindXMLAttributes, KindPlistKeys} {
		k := KindOf(kind)
		st, err := k.Open(Target{Path: file, GOOS: "linux"})
		if err != nil || st.Target() != file {
			t.Errorf("%s Open: %v, %v", kind, st, err)
		}
		st, err = k.At(file)
		if err != nil || st.Target() != file {
			t.Errorf("%s At: %v, %v", kind, st, err)
		}
	}
	if _, err := KindOf(KindPlistKeys).Open(Target{Domain: "com.plexapp.plexmediaserver", Root: "/tmp/x", GOOS: "darwin"}); err == nil || !strings.Contains(err.Error(), "under -root") {
		t.Errorf("a domain under -root opened: %v", err)
	}
	if k := KindOf(KindPlexPreferences); k.Open != nil || !k.Discovered {
		t.Error("plex_preferences must be discovered, not opened")
	}
}

// TestANewKindIsOneEntry registers a kind the way a new store package would and checks
// that the decoder, validate's typed-value check and the OS rule all follow the entry.
func TestANewKindIsOneEntry(t *testing.T) {
	Register(&Kind{
		Name: "test_store", Role: RoleStore, Fields: append([]string{"path"}, storeFields...), Required: []string{"path"},
		OS:    &OSNeed{OS: "freebsd", Why: "exists only on FreeBSD"},
		Types: []string{"number"},
		Canonical: func(v stores.Value) (stores.Value, error) {
			if strings.Trim(v.Text, "0123456789") != "" {
				return v, errNotNumber
			}
			return v, nil
		},
		Open: func(t Target) (stores.Store, error) { return nil, nil },
		At:   func(string) (stores.Store, error) { return nil, nil },
	})
	t.Cleanup(func() { delete(kindTable, "test_store") })

	good := "version: 1\nresources:\n  - {name: a, kind: test_store, path: /x, set: {N: {value: 12, type: number}}, when: {os: [freebsd]}}\n"
	p, err := Decode("new.yaml", []byte(good))
	if err != nil {
		t.Fatalf("a plan with the new kind: %v", err)
	}
	if !p.Resource("a").IsStore() {
		t.Error("the new store kind is not a store")
	}
	bad := "version: 1\nresources:\n  - {name: a, kind: test_store, set: {N: {value: x, type: number}}, colour: red}\n"
	_, err = Decode("new.yaml", []byte(bad))
	for _, want := range []string{`unknown field "colour" for kind test_store`, `needs path:`, `a.set.N: not a number`, `exists only on FreeBSD; add when: {os: [freebsd]}`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant it to contain %q", err, want)
		}
	}
}

type testError string

func (e testError) Error() string { return string(e) }

const errNotNumber = testError("not a number")

// TestDiscoveredKindChecksTypedValuesOfWhatItActsAs: plex_preferences may act as a plist
// or registry store, so a typed literal is checked by the kind that owns its type.
func TestDiscoveredKindChecksTypedValuesOfWhatItActsAs(t *testing.T) {
	_, err := Decode("p.yaml", []byte("version: 1\nresources:\n  - {name: p, kind: plex_preferences, set: {N: {value: abc, type: integer}}}\n"))
	if err == nil || !strings.Contains(err.Error(), "p.set.N") {
		t.Fatalf("an integer abc on plex_preferences: %v", err)
	}
	if _, err := Decode("p.yaml", []byte("version: 1\nresources:\n  - {name: p, kind: plex_preferences, set: {N: {value: 42, type: REG_DWORD}}}\n")); err != nil {
		t.Fatalf("a REG_DWORD 42 on plex_preferences: %v", err)
	}
}
