package views

import (
	"fmt"

	"github.com/plexform/plexform/plan"
)

// Show is show's view: a saved plan as plan printed it.
type Show interface {
	Saved(saved *plan.Saved) error
}

// NewShow is show's view of kind.
func NewShow(kind Kind, s Streams) Show {
	if kind == KindJSON {
		return jsonShow{s}
	}
	return humanShow{s}
}

type humanShow struct{ Streams }

// Saved says when, from what and for which host the plan was made, then its diff.
func (h humanShow) Saved(saved *plan.Saved) error {
	fmt.Fprintf(h.Stdout, "Saved plan made %s from %s for %s.\n\n", saved.CreatedAt.Format("2006-01-02 15:04:05 MST"), saved.PlanFile, savedHost(saved))
	PlanHuman(h.Stdout, saved.Changes(), h.Style)
	return nil
}

type jsonShow struct{ Streams }

// Saved prints plan -json's document of the saved diff, with the version that saved it.
func (j jsonShow) Saved(saved *plan.Saved) error {
	return WriteJSON(j.Stdout, PlanJSON(saved.Changes(), saved.Version))
}

// savedHost names the host a saved plan was made for.
func savedHost(s *plan.Saved) string {
	if s.Root != "" {
		return "the host tree " + s.Root
	}
	return "this host (" + s.OS + ")"
}
