package host

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

// TestPlanKnowsEveryRegisteredManager: the managers plan validates manager: against are
// exactly those stores/service registers, each with the same doc, fields and needs, and
// -root reads each one's UnderRoot as stores/service declares it.
func TestPlanKnowsEveryRegisteredManager(t *testing.T) {
	k := plan.KindOf(plan.KindService)
	if diff := cmp.Diff(service.Managers(), k.ManagerNames()); diff != "" {
		t.Errorf("plan's managers differ from stores/service's registry (-registry +plan):\n%s", diff)
	}
	for _, m := range service.Registered() {
		pm := k.Manager(m.Name)
		if pm == nil {
			continue
		}
		if pm.Doc != m.Doc || !slices.Equal(pm.Fields, m.Fields) || !slices.Equal(pm.Needs, m.Needs) {
			t.Errorf("manager %s: plan has %+v, stores/service %+v", m.Name, *pm, m)
		}
		for _, f := range m.Fields {
			if !slices.Contains(k.Fields, f) {
				t.Errorf("manager %s reads %s, which the service kind does not take", m.Name, f)
			}
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
