package plan

import "github.com/plexform/plexform/stores/service"

// plan's own tests know the service managers as the program does: host/managers.go
// registers stores/service's here from init (plan itself imports no store driver), and
// its TestPlanKnowsEveryRegisteredManager checks the two lists agree.
func init() {
	for _, m := range service.Registered() {
		RegisterManager(&Manager{Name: m.Name, Doc: m.Doc, Fields: m.Fields, Needs: m.Needs, UnderRoot: UnderRoot(m.UnderRoot)})
	}
}
