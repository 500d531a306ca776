package kinds

// This file follows docs/architecture.md, "How to add a store kind", step by step, for a
// throw-away kind: kv_lines, the key=value lines of a text file. It uses nothing but
// what the recipe names, so the recipe cannot leave out a step that a kind needs.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/storetest"
)

// Step 1: the store. A real kind's store is a package under stores/; this one is small
// enough to live here. Lines are name=value; blank lines and # comments are kept as
// they are, and so is every line no edit names.
type kvStore struct {
	root fileutil.Root
	path string
}

const kvExt = "kv"

func (s *kvStore) Target() string { return s.path }

func (s *kvStore) CheckWritable(context.Context) error { return s.root.CheckWritable(s.path) }

func (s *kvStore) Read(context.Context) (stores.State, error) {
	data, _, exists, err := s.root.ReadWithMeta(s.path)
	if err != nil || !exists {
		return stores.State{}, err
	}
	values, err := parseKV(data)
	if err != nil {
		return stores.State{}, fmt.Errorf("read %s: %w", s.path, err)
	}
	return stores.State{Exists: true, Values: values}, nil
}

// kvLines splits the file into lines, keeping each line's end.
func kvLines(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	return bytes.SplitAfter(data, []byte("\n"))
}

func kvLine(line []byte) (name, value string, ok bool) {
	text := strings.TrimSuffix(string(line), "\n")
	if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
		return "", "", false
	}
	name, value, _ = strings.Cut(text, "=")
	return name, value, true
}

// parseKV reads the values; an error names the line, never its content.
func parseKV(data []byte) (map[string]stores.Value, error) {
	values := map[string]stores.Value{}
	for i, line := range kvLines(data) {
		name, _, isValue := kvLine(line)
		if bytes.IndexByte(line, 0) >= 0 || (isValue && (!bytes.Contains(line, []byte("=")) || name == "")) {
			return nil, fmt.Errorf("%w: line %d is not name=value", stores.ErrMalformed, i+1)
		}
		if isValue {
			_, value, _ := kvLine(line)
			values[name] = stores.Value{Text: value}
		}
	}
	return values, nil
}

func (s *kvStore) Write(_ context.Context, edits []stores.Edit) error {
	data, meta, exists, err := s.root.ReadWithMeta(s.path)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if !exists {
		if stores.OnlyRemovals(edits) {
			return nil
		}
		return fmt.Errorf("write %s: %w", s.path, fs.ErrNotExist)
	}
	if _, err := parseKV(data); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	byName := map[string]stores.Edit{}
	for _, e := range edits {
		if !e.Remove && (e.Value.Type != "" || strings.ContainsAny(e.Value.Text, "\n\x00") || strings.ContainsAny(e.Name, "=\n\x00#")) {
			return fmt.Errorf("write %s: %s: a kv_lines value is one line of text", s.path, e.Name)
		}
		byName[e.Name] = e
	}
	var out bytes.Buffer
	for _, line := range kvLines(data) {
		name, _, isValue := kvLine(line)
		e, edited := byName[name]
		switch {
		case !isValue || !edited:
			out.Write(line)
		case !e.Remove:
			fmt.Fprintf(&out, "%s=%s\n", name, e.Value.Text)
			delete(byName, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		if e := byName[name]; !e.Remove {
			fmt.Fprintf(&out, "%s=%s\n", name, e.Value.Text)
		}
	}
	if bytes.Equal(out.Bytes(), data) {
		return nil
	}
	return s.root.WriteAtomic(s.path, out.Bytes(), meta)
}

func (s *kvStore) Snapshot(context.Context) (stores.Snapshot, error) {
	data, meta, exists, err := s.root.ReadWithMeta(s.path)
	if err == nil && !exists {
		err = fs.ErrNotExist
	}
	if err != nil {
		return stores.Snapshot{}, fmt.Errorf("back up %s: %w", s.path, err)
	}
	return stores.Snapshot{Ext: kvExt, Data: data, Meta: meta}, nil
}

func (s *kvStore) CheckSnapshot(snap stores.Snapshot) error {
	_, err := parseKV(snap.Data)
	return err
}

func (s *kvStore) Restore(_ context.Context, snap stores.Snapshot) error {
	if err := s.CheckSnapshot(snap); err != nil {
		return fmt.Errorf("restore %s: %w; the file was left alone", s.path, err)
	}
	// A snapshot without owner and mode (made by hand) keeps the file's, or is 0600 and
	// the caller's when there is no file.
	meta := snap.Meta
	if meta == (stores.FileMeta{}) || meta == (stores.FileMeta{Path: meta.Path}) {
		cur, exists, err := s.root.Stat(s.path)
		if err != nil {
			return fmt.Errorf("restore %s: %w", s.path, err)
		}
		if meta = cur; !exists {
			meta = stores.FileMeta{UID: -1, GID: -1, Mode: 0o600}
		}
	}
	return s.root.WriteAtomic(s.path, snap.Data, meta)
}

func encodeKV(_ testing.TB, values map[string]stores.Value) []byte {
	var b bytes.Buffer
	b.WriteString("# settings\n")
	for _, name := range slices.Sorted(maps.Keys(values)) {
		fmt.Fprintf(&b, "%s=%s\n", name, values[name].Text)
	}
	return b.Bytes()
}

// kvHarness is step 1's conformance suite for the store.
var kvHarness = func() storetest.Harness {
	h := storetest.FileHarness("settings.kv", encodeKV,
		func(path string) stores.Store { return &kvStore{path: path} },
		func(secret string) []byte { return []byte("FriendlyName=den\n" + secret + "\n") })
	h.Values = map[string]stores.Value{"FriendlyName": {Text: "den"}, "ManualPortMappingPort": {Text: "32400"}}
	h.Invalid = stores.Edit{Name: "Broken", Value: stores.Value{Text: "two\nlines"}}
	return h
}()

// Step 2: the typed spec, the fields only this kind has.
type kvLinesSpec struct {
	Path string // the file, as the plan names it
}

// Step 3: what the spec does: resolve its host paths, open, name its file, and say what
// init writes.
func (s *kvLinesSpec) resolved(on plan.OnHost) (storeSpec, error) {
	path, err := on.Path(s.Path)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	return &kvLinesSpec{Path: path}, nil
}

func (s *kvLinesSpec) open(on plan.OnHost) (stores.Store, error) {
	return &kvStore{root: fileutil.RootAt(on.Root), path: s.Path}, nil
}

func (s *kvLinesSpec) file() string { return s.Path }

func (s *kvLinesSpec) initLines() []plan.InitLine {
	return []plan.InitLine{{Field: "path", Value: s.Path}}
}

// Step 4: register the kind. A kind's file does it in init; the test does it here and
// takes it out again at the end, so no other test sees it.
func registerKVLines(t *testing.T) {
	spec := func(r *plan.Resource) *kvLinesSpec { return r.Spec.(*kvLinesSpec) }
	plan.Register(&plan.Kind{
		Name: "kv_lines", Doc: "name=value lines of a text file", Role: plan.RoleStore,
		Fields: append([]string{"path"}, plan.StoreFields...), Required: []string{"path"},
		NewSpec: func() any { return &kvLinesSpec{} },
		Own: map[string]*plan.Field{
			"path": hostPathField(pathDoc, func(r *plan.Resource) *string { return &spec(r).Path }),
		},
		CheckText: func(text string) error {
			if strings.ContainsAny(text, "\n\x00") {
				return errors.New("a kv_lines value is one line of text")
			}
			return nil
		},
		Open:      openStore,
		At:        func(target string) (stores.Store, error) { return &kvStore{path: target}, nil },
		BackupExt: kvExt,
		Init:      initStore,
	})
	t.Cleanup(func() { plan.Unregister("kv_lines") })
}

func TestRecipeStoreConforms(t *testing.T) { storetest.Run(t, kvHarness) }

// TestRecipeKindPlansAndApplies: the kind registered by the recipe alone decodes,
// validates, plans, applies with a backup, plans no change after, restores from its
// backup, and is in the schema; init writes its lines.
func TestRecipeKindPlansAndApplies(t *testing.T) {
	registerKVLines(t)
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "settings.kv")
	storetest.WriteFile(t, file, []byte("# Plex\nFriendlyName=den\nPlexOnlineToken=secret-token-value\nKeep=1\n"))
	planFile := filepath.Join(dir, "plexform.yaml")
	text := "version: 1\nresources:\n  - name: prefs\n    kind: kv_lines\n    path: settings.kv\n" +
		"    absent: [PlexOnlineToken]\n    set: {FriendlyName: attic}\n"

	// Validate checks the kind's own rules.
	if _, err := plan.Decode(planFile, []byte("version: 1\nresources:\n  - {name: prefs, kind: kv_lines, set: {A: {value: x, type: integer}}, colour: red}\n")); err == nil ||
		!strings.Contains(err.Error(), `unknown field "colour" for kind kv_lines`) || !strings.Contains(err.Error(), "needs path:") ||
		!strings.Contains(err.Error(), "kv_lines values are text and take no type:") {
		t.Errorf("validate of a bad kv_lines resource: %v", err)
	}
	p, err := plan.Decode(planFile, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if spec, ok := p.Resource("prefs").Spec.(*kvLinesSpec); !ok || spec.Path != "settings.kv" {
		t.Fatalf("spec = %#v", p.Resource("prefs").Spec)
	}

	// Plan: host.Open binds it through the kind's Open; the diff names both changes.
	h, err := host.Open(p, host.Options{GOOS: runtime.GOOS})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := h.Diff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, c, d := ch.Summary(); a != 0 || c != 1 || d != 1 || ch.Resources[0].Target != file || ch.Resources[0].Kind != "kv_lines" {
		t.Fatalf("plan: %d to add, %d to change, %d to remove on %s (%s)", a, c, d, ch.Resources[0].Target, ch.Resources[0].Kind)
	}

	// Apply: backed up in the kind's format, written, and planned clean after.
	backups := &state.Dir{Path: filepath.Join(dir, "backups")}
	res, err := executor.Apply(ctx, h, executor.Options{Backups: backups, Keep: plan.DefaultKeep, PlanFile: planFile, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != "# Plex\nFriendlyName=attic\nKeep=1\n" {
		t.Errorf("after apply the file holds %q", got)
	}
	if len(res.Backups) != 1 || !strings.HasSuffix(res.Backups[0].File, "."+kvExt) || res.Backups[0].Kind != "kv_lines" {
		t.Fatalf("backups: %+v", res.Backups)
	}
	if listed, err := backups.List(); err != nil || len(listed) != 1 {
		t.Fatalf("the backup does not list as a good one: %v, %v", listed, err)
	}
	h, err = host.Open(p, host.Options{GOOS: runtime.GOOS})
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := h.Diff(ctx); err != nil || ch.HasChanges() {
		t.Fatalf("plan after apply: %+v, %v", ch, err)
	}

	// Restore: the kind's At opens the store the backup names.
	st, err := host.StoreAt("kv_lines", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := executor.Restore(ctx, st, nil, res.Backups[0].ID, executor.Options{Backups: backups, Keep: plan.DefaultKeep, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); !strings.Contains(string(got), "PlexOnlineToken=secret-token-value") {
		t.Errorf("after restore the file holds %q", got)
	}

	// The schema knows it, and init's lines for it decode.
	schema, err := plan.Schema(plan.SchemaMainURL)
	if err != nil || !bytes.Contains(schema, []byte(`"kind_kv_lines"`)) {
		t.Errorf("the schema has no kv_lines: %v", err)
	}
	lines := plan.KindOf("kv_lines").Init(&kvLinesSpec{Path: "/srv/settings.kv"})
	var b strings.Builder
	for _, l := range lines {
		v, _ := yaml.Marshal(l.Value)
		fmt.Fprintf(&b, "    %s: %s", l.Field, v)
	}
	if _, err := plan.Decode(planFile, []byte("version: 1\nresources:\n  - name: prefs\n    kind: kv_lines\n"+b.String()+"    absent: [A]\n")); err != nil {
		t.Errorf("init's lines do not decode: %v\n%s", err, b.String())
	}
}
