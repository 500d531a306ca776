// Package registry is the registry_values store: named values of one Windows registry
// key. The live registry is reached only on Windows (store_windows.go); the logic above
// it, the value conversions and the .reg backups are plain Go and tested everywhere.
package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry/regfile"
)

// raw is a value as the registry holds it.
type raw struct {
	typ  uint32
	data []byte
}

func (r raw) equal(o raw) bool { return r.typ == o.typ && string(r.data) == string(o.data) }

// backend is the little the store needs from a registry key, so the store's logic runs
// against an in-memory key in tests.
type backend interface {
	// readAll returns every value of the key; exists is false when the key is missing.
	readAll() (values map[string]raw, exists bool, err error)
	// set writes one value, creating the key if needed.
	set(name string, r raw) error
	// remove deletes one value; a missing value is not an error.
	remove(name string) error
	// checkWritable opens the key (or the nearest existing parent) for writing.
	checkWritable() error
}

type store struct {
	key regfile.KeyPath
	b   backend
}

func (s *store) Target() string { return s.key.String() }

func (s *store) Read(context.Context) (stores.State, error) {
	values, exists, err := s.b.readAll()
	if err != nil {
		return stores.State{}, fmt.Errorf("read %s: %w", s.key, err)
	}
	if !exists {
		return stores.State{}, nil
	}
	st := stores.State{Exists: true, Values: map[string]stores.Value{}}
	for name, r := range values {
		st.Values[name] = DecodeValue(r.typ, r.data)
	}
	return st, nil
}

func (s *store) CheckWritable(context.Context) error {
	if err := s.b.checkWritable(); err != nil {
		return fmt.Errorf("cannot write %s: %w; run plexform as the user that runs Plex (or as an administrator for HKLM and other users' hives)", s.key, err)
	}
	return nil
}

// op is one value change; remove when r is nil.
type op struct {
	name string
	r    *raw
}

// Write changes only the named values. The registry has no transaction across values, so
// the values are written one by one and, if one fails, those already written are put back.
func (s *store) Write(_ context.Context, edits []stores.Edit) error {
	ops := make([]op, 0, len(edits))
	for _, e := range edits {
		if e.Remove {
			ops = append(ops, op{name: e.Name})
			continue
		}
		typ, data, err := EncodeValue(e.Value)
		if err != nil {
			return fmt.Errorf("write %s: value %q: %w", s.key, e.Name, err)
		}
		ops = append(ops, op{name: e.Name, r: &raw{typ, data}})
	}
	if err := s.apply(ops); err != nil {
		return fmt.Errorf("write %s: %w", s.key, err)
	}
	return nil
}

// apply runs ops against the key, skipping those that change nothing, and undoes the
// ones done when one fails.
func (s *store) apply(ops []op) error {
	current, _, err := s.b.readAll()
	if err != nil {
		return err
	}
	if current == nil {
		current = map[string]raw{}
	}
	var undo []op
	for _, o := range ops {
		name, prev, had := lookup(current, o.name)
		if o.r == nil && !had || o.r != nil && had && prev.equal(*o.r) {
			continue
		}
		if o.r == nil {
			err = s.b.remove(name)
		} else {
			err = s.b.set(name, *o.r)
		}
		if err != nil {
			what := "set"
			if o.r == nil {
				what = "remove"
			}
			return s.rollback(fmt.Errorf("%s value %q: %w", what, o.name, err), undo)
		}
		back := op{name: name}
		if had {
			back.r = &prev
		}
		undo = append(undo, back)
		if o.r == nil {
			delete(current, name)
		} else {
			current[name] = *o.r
		}
	}
	return nil
}

func (s *store) rollback(cause error, undo []op) error {
	var failed []string
	for i := len(undo) - 1; i >= 0; i-- {
		var err error
		if undo[i].r == nil {
			err = s.b.remove(undo[i].name)
		} else {
			err = s.b.set(undo[i].name, *undo[i].r)
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%q (%v)", undo[i].name, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w; the registry has no transaction across values and putting back the values already changed failed for %s: restore the .reg backup", cause, strings.Join(failed, ", "))
	}
	return fmt.Errorf("%w; the registry has no transaction across values, so the %d value(s) already changed were put back", cause, len(undo))
}

// lookup finds a value the way the registry does, ignoring case, and returns its name as
// the key spells it.
func lookup(values map[string]raw, name string) (string, raw, bool) {
	if r, ok := values[name]; ok {
		return name, r, true
	}
	for n, r := range values {
		if strings.EqualFold(n, name) {
			return n, r, true
		}
	}
	return name, raw{}, false
}

// Snapshot exports the key's values (not its subkeys, which plexform never touches) as a
// .reg file that `reg import` or a double-click puts back. A missing key is written as
// `[-KEY]`.
func (s *store) Snapshot(context.Context) (stores.Snapshot, error) {
	values, exists, err := s.b.readAll()
	if err != nil {
		return stores.Snapshot{}, fmt.Errorf("back up %s: %w", s.key, err)
	}
	key := regfile.Key{Path: s.key.String(), Delete: !exists}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	// regedit's order: the default value first, then by name ignoring case.
	sort.Slice(names, func(i, j int) bool {
		a, b := strings.ToLower(names[i]), strings.ToLower(names[j])
		return a < b || a == b && names[i] < names[j]
	})
	for _, n := range names {
		key.Values = append(key.Values, regfile.Value{Name: n, Type: values[n].typ, Data: values[n].data})
	}
	data, err := regfile.Encode(&regfile.File{Keys: []regfile.Key{key}})
	if err != nil {
		return stores.Snapshot{}, fmt.Errorf("back up %s: %w", s.key, err)
	}
	return stores.Snapshot{Ext: "reg", Data: data}, nil
}

// CheckSnapshot parses the snapshot as a .reg file holding this key's section.
func (s *store) CheckSnapshot(snap stores.Snapshot) error {
	_, err := s.sections(snap)
	return err
}

// sections are the snapshot's sections for this key: what Restore puts back.
func (s *store) sections(snap stores.Snapshot) ([]regfile.Key, error) {
	f, err := regfile.Parse(snap.Data)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	sections := f.Section(s.key)
	if len(sections) == 0 {
		return nil, fmt.Errorf("%w: the backup holds no [%s] section; is it the backup of another key?", stores.ErrMalformed, s.key)
	}
	return sections, nil
}

// Restore makes the key's values exactly those of the snapshot, types and bytes
// included: values added since the snapshot are deleted, since a rollback must also undo
// a `set` that created a value. (`reg import` of the same file, by hand, only adds and
// overwrites.) Subkeys are left alone, and a key that did not exist is left empty rather
// than deleted.
func (s *store) Restore(_ context.Context, snap stores.Snapshot) error {
	sections, err := s.sections(snap)
	if err != nil {
		return fmt.Errorf("restore %s: %w", s.key, err)
	}
	want := map[string]raw{} // lower-cased name → value
	wantName := map[string]string{}
	for _, sec := range sections {
		if sec.Delete {
			want, wantName = map[string]raw{}, map[string]string{}
		}
		for _, v := range sec.Values {
			k := strings.ToLower(v.Name)
			if v.Delete {
				delete(want, k)
				continue
			}
			want[k], wantName[k] = raw{v.Type, v.Data}, v.Name
		}
	}
	current, _, err := s.b.readAll()
	if err != nil {
		return fmt.Errorf("restore %s: %w", s.key, err)
	}
	var ops []op
	for name := range current {
		if _, keep := want[strings.ToLower(name)]; !keep {
			ops = append(ops, op{name: name})
		}
	}
	for k, r := range want {
		ops = append(ops, op{name: wantName[k], r: &r})
	}
	// Deterministic order makes failures reproducible.
	sort.Slice(ops, func(i, j int) bool { return ops[i].name < ops[j].name })
	if err := s.apply(ops); err != nil {
		return fmt.Errorf("restore %s: %w", s.key, err)
	}
	return nil
}

// ErrNotWindows is returned by New on other systems.
var ErrNotWindows = errors.New("registry_values works only on Windows; run plexform on the Windows machine as the user that runs Plex")
