// Package kinds holds the kinds of resource a plan can name, one file each: a kind's
// typed spec, how its fields decode and are checked, how it opens on the host, its
// backup extension, its typed values and what `plexform init` writes for it. Each file
// registers its kind with plan.Register from init; plan holds the registry, the plan
// file and the diff, and knows no store driver.
//
// A program that decodes plans imports this package (the plexform command does, and so
// do the tests that decode plans): plan.Decode fails when no kind is registered.
// docs/architecture.md, "How to add a store kind", is the recipe for a new kind.
package kinds

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/stores"
)

// storeSpec is the typed spec of a concrete store kind (xml_attributes, plist_keys,
// registry_values): what it names, how it opens and what init writes for it.
type storeSpec interface {
	// resolved is the spec with its host paths resolved on this host (OnHost.Path).
	resolved(on plan.OnHost) (storeSpec, error)
	// open opens its store; its host paths are resolved already.
	open(on plan.OnHost) (stores.Store, error)
	// file is its file on this machine, "" for a registry key or a defaults domain.
	file() string
	// init is what `plexform init` writes for it.
	initLines() []plan.InitLine
}

// fromSettings makes the spec of a concrete store kind from what discovery found, by
// kind: how plex_preferences acts as that kind, and what init writes for it. A kind
// discovery never finds needs no entry.
var fromSettings = map[string]func(discover.Settings) storeSpec{}

// openStore is the Open of every concrete store kind: its spec, resolved, opened.
func openStore(r *plan.Resource, on plan.OnHost) (plan.OpenedStore, error) {
	spec, err := r.Spec.(storeSpec).resolved(on)
	if err != nil {
		return plan.OpenedStore{}, err
	}
	st, err := spec.open(on)
	return plan.OpenedStore{Store: st, Kind: r.Kind, File: spec.file()}, err
}

// initStore is the Init of every concrete store kind.
func initStore(spec any) []plan.InitLine { return spec.(storeSpec).initLines() }

// FromSettings is the typed spec of the store discovery found (its kind's, such as
// *XMLAttributes), with the paths as given in s: what `plexform init` writes with the
// kind's Init.
func FromSettings(s discover.Settings) (any, error) {
	from := fromSettings[s.Kind]
	if from == nil {
		return nil, fmt.Errorf("kind %s is not supported by this build of plexform", s.Kind)
	}
	return from(s), nil
}

// hostPathField is a field naming a file of the host; relative paths are relative to
// the plan file. at gives where in the kind's spec it goes.
func hostPathField(doc string, at func(*plan.Resource) *string) *plan.Field {
	return &plan.Field{Doc: doc, Type: plan.FieldString, Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
		*at(r) = d.HostPath(v, what)
	}}
}

// stringField is a field holding a string; at gives where in the kind's spec it goes.
func stringField(doc string, at func(*plan.Resource) *string) *plan.Field {
	return &plan.Field{Doc: doc, Type: plan.FieldString, Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
		*at(r) = d.Str(v, what)
	}}
}

// pathDoc is the doc of every store kind's path: field.
const pathDoc = "the file (relative paths are relative to the plan file)"

// withLooked adds the places discovery looked at to its error, so a user sees why
// nothing (or too much) was found.
func withLooked(err error, looked []discover.Looked) error {
	if len(looked) == 0 || strings.Contains(err.Error(), "Looked at:") {
		return err
	}
	lines := make([]string, len(looked))
	for i, l := range looked {
		lines[i] = l.Where + ": " + l.What
	}
	return fmt.Errorf("%w\nLooked at:\n  %s", err, strings.Join(lines, "\n  "))
}
