package host

import (
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/service"
)

// The service managers plan validates manager: against are the ones stores/service
// registers. plan imports no store driver, so this bridge, above both, hands each
// registered manager's description over when the program starts.
func init() {
	for _, m := range service.Registered() {
		plan.RegisterManager(planManager(m))
	}
}

// planManager is what plan needs to know of a manager: its name, doc, the fields it
// reads and needs, and how it runs under -root.
func planManager(m service.Manager) *plan.Manager {
	return &plan.Manager{Name: m.Name, Doc: m.Doc, Fields: m.Fields, Needs: m.Needs, UnderRoot: plan.UnderRoot(m.UnderRoot)}
}
