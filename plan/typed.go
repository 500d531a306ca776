package plan

import (
	"fmt"

	"github.com/plexform/plexform/stores"
)

// checkTyped parses a literal typed value the way its store will, so "abc" as an
// integer fails at validate rather than at apply.
func checkTyped(k *Kind, src Source) error {
	canonical := k.canonicalFor(src.Type)
	if canonical == nil {
		return nil
	}
	_, err := canonical(stores.Value{Type: src.Type, Text: src.Literal})
	return err
}

// Canonicalize spells the typed set: values of a store of the given (concrete) kind as
// the store reads them back ("0x2A" as "42", "yes" as "true"), so an applied plan does
// not keep showing a change.
func Canonicalize(kind string, want []Desired) error {
	k := KindOf(kind)
	if k == nil || k.Canonical == nil {
		return nil
	}
	for i := range want {
		if want[i].Absent {
			continue
		}
		v, err := k.Canonical(want[i].Value)
		if err != nil {
			return fmt.Errorf("set.%s: %w", want[i].Name, err)
		}
		want[i].Value = v
	}
	return nil
}
