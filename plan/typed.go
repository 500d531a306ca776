package plan

import (
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/plist"
	"github.com/plexform/plexform/stores/registry"
)

// checkTyped parses a literal typed value the way its store will, so "abc" as an
// integer fails at validate rather than at apply.
func checkTyped(kind string, src Source) error {
	v := stores.Value{Type: src.Type, Text: src.Literal}
	switch kind {
	case KindPlistKeys:
		_, err := plist.Canonical(v)
		return err
	case KindRegistryValues:
		_, err := registry.Canonical(v)
		return err
	}
	return nil
}
