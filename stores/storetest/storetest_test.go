package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores"
)

// memStore is a correct store over a map, with one bug switched on by name, so that the
// suite can be shown to catch each bug it claims to.
type memStore struct {
	values    map[string]stores.Value // nil: the store does not exist
	malformed string                  // content that does not parse, when not empty
	broken    bool
	bug       string
}

func (m *memStore) Target() string                      { return "memory" }
func (m *memStore) CheckWritable(context.Context) error { return nil }

func (m *memStore) Read(context.Context) (stores.State, error) {
	if m.malformed != "" {
		if m.bug == "quotes content" {
			return stores.State{}, fmt.Errorf("%w: cannot parse %q", stores.ErrMalformed, m.malformed)
		}
		return stores.State{}, fmt.Errorf("%w: cannot parse byte 3", stores.ErrMalformed)
	}
	if m.values == nil {
		if m.bug == "errs when missing" {
			return stores.State{}, errors.New("no such store")
		}
		return stores.State{}, nil
	}
	return stores.State{Exists: true, Values: maps.Clone(m.values)}, nil
}

func (m *memStore) Write(ctx context.Context, edits []stores.Edit) error {
	if _, err := m.Read(ctx); err != nil {
		return err
	}
	next := maps.Clone(m.values)
	for _, e := range edits {
		switch {
		case e.Remove:
			delete(next, e.Name)
			if m.bug == "half-applies" {
				delete(m.values, e.Name)
			}
		case e.Value.Type == "bogus":
			return errors.New("a bogus value")
		default:
			if next == nil {
				return errors.New("the store does not exist")
			}
			next[e.Name] = e.Value
		}
	}
	if m.broken {
		return errors.New("the storage refuses writes")
	}
	if m.values != nil || len(next) > 0 {
		m.values = next
	}
	return nil
}

func (m *memStore) Snapshot(context.Context) (stores.Snapshot, error) {
	data := []byte(m.malformed)
	if m.malformed == "" {
		data, _ = json.Marshal(m.values) // sorted keys: the same values give the same bytes
	}
	return stores.Snapshot{Data: data}, nil
}

func (m *memStore) Restore(_ context.Context, s stores.Snapshot) error {
	if m.bug == "restores nothing" {
		return nil
	}
	if err := m.CheckSnapshot(s); err != nil {
		return err
	}
	m.values = nil
	return json.Unmarshal(s.Data, &m.values)
}

func (m *memStore) CheckSnapshot(s stores.Snapshot) error {
	if m.bug == "accepts any snapshot" {
		return nil
	}
	var values map[string]stores.Value
	if err := json.Unmarshal(s.Data, &values); err != nil {
		return fmt.Errorf("%w: the backup is not a JSON object", stores.ErrMalformed)
	}
	return nil
}

func memHarness(bug string) Harness {
	return Harness{
		New: func(t *testing.T, values map[string]stores.Value) stores.Store {
			return &memStore{values: maps.Clone(values), bug: bug}
		},
		Missing: func(t *testing.T) stores.Store { return &memStore{bug: bug} },
		Malformed: func(t *testing.T, secret string) stores.Store {
			return &memStore{malformed: "<<" + secret, bug: bug}
		},
		Break: func(t *testing.T, s stores.Store) bool {
			s.(*memStore).broken = true
			return true
		},
		Values:  map[string]stores.Value{"A": {Text: "1"}, "B": {Type: "integer", Text: "2"}},
		Set:     stores.Value{Type: "integer", Text: "3"},
		Invalid: stores.Edit{Name: "Bad", Value: stores.Value{Type: "bogus"}},
	}
}

// TestMemStore is the suite over memStore, with the bug PLEXFORM_STORETEST_BUG names.
func TestMemStore(t *testing.T) {
	Run(t, memHarness(os.Getenv("PLEXFORM_STORETEST_BUG")))
}

// TestSuiteCatchesBugs runs TestMemStore with each bug in a child test process: it
// must fail, in the check that names the bug. Without a bug it must pass.
func TestSuiteCatchesBugs(t *testing.T) {
	if os.Getenv("PLEXFORM_STORETEST_BUG") != "" {
		t.Skip("inside the child")
	}
	for bug, check := range map[string]string{
		"quotes content":       "MalformedIsRefused",
		"half-applies":         "InvalidWriteLeavesStore",
		"restores nothing":     "SnapshotRestore",
		"accepts any snapshot": "MalformedSnapshotIsRefused",
		"errs when missing":    "ReadMissing",
	} {
		t.Run(bug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMemStore$", "-test.v")
			cmd.Env = append(os.Environ(), "PLEXFORM_STORETEST_BUG="+bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store that %s", bug)
			}
			if !strings.Contains(string(out), "--- FAIL: TestMemStore/"+check) {
				t.Errorf("the suite did not fail %s for a store that %s:\n%s", check, bug, out)
			}
		})
	}
}
