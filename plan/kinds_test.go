package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores"
	"gopkg.in/yaml.v3"
)

// The kinds are registered in this test binary by package kinds, which the external
// tests of this directory (package plan_test) import.

// TestEveryFieldOfEveryKindDecodes: every kind names only fields that are its own or
// shared, and no shared field is one that no kind takes.
func TestEveryFieldOfEveryKindDecodes(t *testing.T) {
	used := map[string]bool{}
	for _, name := range KindNames() {
		k := KindOf(name)
		for _, f := range k.allFields() {
			used[f] = true
			if k.field(f) == nil || k.field(f).Decode == nil {
				t.Errorf("kind %s takes field %q, which it cannot decode", name, f)
			}
		}
		for _, f := range append(append(append([]string{}, k.Required...), k.OneOf...), sortedKeys(k.FieldOS)...) {
			if !slices.Contains(k.fieldNames(), f) {
				t.Errorf("kind %s requires %q, which it does not take", name, f)
			}
		}
		for _, m := range k.managers() {
			for _, f := range m.Needs {
				if !slices.Contains(m.Fields, f) {
					t.Errorf("manager %s needs %q, which it does not read", m.Name, f)
				}
			}
		}
		for _, a := range k.ActsAs {
			if ak := KindOf(a); ak == nil || ak.Open == nil || ak.Discovered {
				t.Errorf("kind %s acts as %q, which is no store kind that opens", name, a)
			}
		}
		if k.Role == RoleStore && !k.Discovered && (k.Open == nil || k.At == nil || k.BackupExt == "" || k.Init == nil) {
			t.Errorf("store kind %s lacks Open, At (restore), BackupExt or Init", name)
		}
		if k.Role == RoleStore && k.Discovered && k.Open == nil {
			t.Errorf("discovered store kind %s has no Open", name)
		}
		if k.Role == RoleService && k.OpenService == nil {
			t.Errorf("service kind %s has no OpenService", name)
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

// TestANewKindIsOneEntry registers a kind the way a new store package would and checks
// that the decoder, validate's typed-value check and the OS rule all follow the entry.
func TestANewKindIsOneEntry(t *testing.T) {
	Register(&Kind{
		Name: "test_store", Role: RoleStore,
		Own: map[string]*Field{"path": {Doc: "the file", Decode: func(d *Decoder, r *Resource, v *yaml.Node, what string) { r.Spec = d.HostPath(v, what) }}}, Fields: append([]string{"path"}, StoreFields...), Required: []string{"path"},
		OS:    &OSNeed{OS: "freebsd", Why: "exists only on FreeBSD"},
		Types: []string{"number"},
		Canonical: func(v stores.Value) (stores.Value, error) {
			if strings.Trim(v.Text, "0123456789") != "" {
				return v, errNotNumber
			}
			return v, nil
		},
		Open: func(*Resource, OnHost) (OpenedStore, error) { return OpenedStore{}, nil },
		At:   func(string) (stores.Store, error) { return nil, nil },
	})
	t.Cleanup(func() { Unregister("test_store") })

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

// TestDecodeWithoutKindsFailsLoudly: a program that forgot to import package kinds is
// told so, rather than finding every kind unknown.
func TestDecodeWithoutKindsFailsLoudly(t *testing.T) {
	registered := kindTable
	kindTable = map[string]*Kind{}
	t.Cleanup(func() { kindTable = registered })
	_, err := Decode("p.yaml", []byte("version: 1\nresources: []\n"))
	if err == nil || !strings.Contains(err.Error(), "must import github.com/plexform/plexform/kinds") {
		t.Fatalf("decoding with no kind registered: %v", err)
	}
	if _, err := Schema(SchemaMainURL); !errors.Is(err, ErrNoKinds) {
		t.Fatalf("the schema with no kind registered: %v", err)
	}
}

// TestRegisterRefusesAFieldItCannotDecode: a kind naming a field that is neither its
// own nor shared is a mistake of the build, found when it registers.
func TestRegisterRefusesAFieldItCannotDecode(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a kind with an undecodable field registered")
		}
		Unregister("test_bad")
	}()
	Register(&Kind{Name: "test_bad", Role: RoleStore, Fields: []string{"colour"}})
}
