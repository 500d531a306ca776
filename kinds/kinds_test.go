package kinds

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

// decode decodes a plan of one resource, failing the test on an error.
func decodeOne(t *testing.T, resource string) (*plan.Plan, *plan.Resource) {
	t.Helper()
	p, err := plan.Decode(filepath.Join(t.TempDir(), "p.yaml"), []byte("version: 1\nresources:\n  - "+resource+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p, p.Resources[0]
}

// TestStoreKindsOpenFromTheirSpec: each concrete store kind opens the store its spec
// names, and At the store a backup names; a domain under -root is refused.
func TestStoreKindsOpenFromTheirSpec(t *testing.T) {
	file := filepath.Join(t.TempDir(), "Preferences.xml")
	for _, kind := range []string{plan.KindXMLAttributes, plan.KindPlistKeys} {
		p, r := decodeOne(t, "{name: s, kind: "+kind+", path: "+file+", absent: [A]}")
		o, err := plan.KindOf(kind).Open(r, plan.OnHost{Plan: p, GOOS: "linux"})
		if err != nil || o.Store.Target() != file || o.File != file || o.Kind != kind {
			t.Errorf("%s Open: %+v, %v", kind, o, err)
		}
		st, err := plan.KindOf(kind).At(file)
		if err != nil || st.Target() != file {
			t.Errorf("%s At: %v, %v", kind, st, err)
		}
	}
	p, r := decodeOne(t, "{name: s, kind: plist_keys, domain: com.plexapp.plexmediaserver, absent: [A], when: {os: [darwin]}}")
	if _, err := plan.KindOf(plan.KindPlistKeys).Open(r, plan.OnHost{Plan: p, Root: "/tmp/x", GOOS: "darwin"}); err == nil || !strings.Contains(err.Error(), "under -root") {
		t.Errorf("a domain under -root opened: %v", err)
	}
	if spec, ok := r.Spec.(*PlistKeys); !ok || spec.Domain != "com.plexapp.plexmediaserver" || spec.Path != "" {
		t.Errorf("plist_keys spec = %#v", r.Spec)
	}
}

// TestPlanKnowsEveryRegisteredManager: the managers plan validates manager: against are
// exactly those stores/service registers, each with the same doc, fields and needs; a
// service naming one takes every field it reads; and -root reads each one's UnderRoot
// as stores/service declares it.
func TestPlanKnowsEveryRegisteredManager(t *testing.T) {
	k := plan.KindOf(plan.KindService)
	if got, want := k.ManagerNames(), service.Managers(); !slices.Equal(got, want) {
		t.Errorf("plan's managers %v, stores/service's registry %v", got, want)
	}
	for _, m := range service.Registered() {
		pm := k.Manager(m.Name)
		if pm == nil {
			continue
		}
		if pm.Doc != m.Doc || !slices.Equal(pm.Fields, m.Fields) || !slices.Equal(pm.Needs, m.Needs) {
			t.Errorf("manager %s: plan has %+v, stores/service %+v", m.Name, *pm, m)
		}
		resource := "{name: plex, kind: service, manager: " + m.Name
		for _, f := range m.Fields {
			value := "x"
			if f == "start" || f == "stop" || f == "status" {
				value = "[x]"
			}
			resource += ", " + f + ": " + value
		}
		if _, err := plan.Decode("p.yaml", []byte("version: 1\nresources:\n  - "+resource+"}\n")); err != nil {
			t.Errorf("a service with manager %s and every field it reads: %v", m.Name, err)
		}
		// A plan's own service (kind: service) is driven under -root unless the manager
		// drives this machine's Plex; a discovered one only when it lies inside the tree.
		if got, want := plan.DrivenUnderRoot(plan.KindService, m.Name), m.UnderRoot != service.NotUnderRoot; got != want {
			t.Errorf("manager %s: a service is driven under -root: %v, want %v", m.Name, got, want)
		}
		if got, want := plan.DrivenUnderRoot(plan.KindPlexService, m.Name), m.UnderRoot == service.InTree; got != want {
			t.Errorf("manager %s: a discovered service is driven under -root: %v, want %v", m.Name, got, want)
		}
	}
}

// TestServiceSpecDecodes: a service's own fields land in its typed spec, and the manager
// it opens is the one named.
func TestServiceSpecDecodes(t *testing.T) {
	p, r := decodeOne(t, "{name: plex, kind: service, manager: exec, start: [a], stop: [b], status: [c, d]}")
	s, ok := r.Spec.(*Service)
	if !ok || s.Manager != "exec" || !slices.Equal(s.Status, []string{"c", "d"}) || r.State != "running" {
		t.Fatalf("spec %#v, state %q", r.Spec, r.State)
	}
	o, err := plan.KindOf(plan.KindService).OpenService(r, plan.OnHost{Plan: p, GOOS: "linux"})
	if err != nil || o.Manager != "exec" || o.Service == nil {
		t.Fatalf("OpenService: %+v, %v", o, err)
	}
}

// TestDiscoveredKindChecksTypedValuesOfWhatItActsAs: plex_preferences may act as a plist
// or registry store, so a typed literal is checked by the kind that owns its type.
func TestDiscoveredKindChecksTypedValuesOfWhatItActsAs(t *testing.T) {
	_, err := plan.Decode("p.yaml", []byte("version: 1\nresources:\n  - {name: p, kind: plex_preferences, set: {N: {value: abc, type: integer}}}\n"))
	if err == nil || !strings.Contains(err.Error(), "p.set.N") {
		t.Fatalf("an integer abc on plex_preferences: %v", err)
	}
	if _, err := plan.Decode("p.yaml", []byte("version: 1\nresources:\n  - {name: p, kind: plex_preferences, set: {N: {value: 42, type: REG_DWORD}}}\n")); err != nil {
		t.Fatalf("a REG_DWORD 42 on plex_preferences: %v", err)
	}
}

// TestManagersCannotNameAResourceField: stores/service refuses a manager's field spelled
// as one the plan already gives a service resource another meaning; its list must
// hold every such field of plan's, or a manager could register one and have its field
// decoded as the shared one (service.ResourceFields lives below plan, so it cannot
// read plan's list itself). And every field Config carries by name is the service
// kind's own.
func TestManagersCannotNameAResourceField(t *testing.T) {
	k := plan.KindOf(plan.KindService)
	for _, f := range slices.Concat([]string{"name", "kind", "when"}, k.Fields, plan.StoreFields) {
		if !slices.Contains(service.ResourceFields, f) {
			t.Errorf("service.ResourceFields lacks %s, a field a plan resource has with a meaning of its own", f)
		}
	}
	for _, f := range service.SharedFields {
		if k.Own[f] == nil {
			t.Errorf("service.SharedFields names %s, which the service kind does not decode itself", f)
		}
	}
}
