package kinds

import (
	"fmt"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/stores/xmlattrs"
)

// PlexPreferences is what a plex_preferences resource names: nothing, or the file
// discovery would otherwise look for.
type PlexPreferences struct {
	Path string // overrides what discovery would find
}

func init() {
	plan.Register(&plan.Kind{
		// path: is optional: it overrides what discovery would find.
		Name: plan.KindPlexPreferences, Doc: "whichever store holds Plex's settings on this host", Role: plan.RoleStore,
		Fields: append([]string{"path"}, plan.StoreFields...), Discovered: true,
		ActsAs:  []string{plan.KindXMLAttributes, plan.KindPlistKeys, plan.KindRegistryValues},
		NewSpec: func() any { return &PlexPreferences{} },
		Own: map[string]*plan.Field{
			"path": hostPathField(pathDoc, func(r *plan.Resource) *string { return &r.Spec.(*PlexPreferences).Path }),
		},
		// Checked as Preferences.xml would hold it, on every OS: that is where Plex keeps
		// its settings on Linux, FreeBSD, NAS boxes and in containers, and one plan
		// (examples/plex-reset.yaml) is meant to run on all of them.
		CheckText: xmlattrs.CheckText,
		Open:      openPreferences,
	})
}

// openPreferences finds Plex's settings on the host and opens them as the kind they
// turn out to be.
func openPreferences(r *plan.Resource, on plan.OnHost) (plan.OpenedStore, error) {
	path := r.Spec.(*PlexPreferences).Path
	// Discovery reads path: as written; a relative one that climbs out of -root is
	// refused as for every other store.
	if _, err := on.Path(path); err != nil {
		return plan.OpenedStore{}, fmt.Errorf("path: %w", err)
	}
	s, looked, err := discover.FindSettings(discover.Options{Root: on.Root, GOOS: on.GOOS, Getenv: on.Getenv, Path: path})
	if err != nil {
		return plan.OpenedStore{}, withLooked(err, looked)
	}
	from := fromSettings[s.Kind]
	if from == nil {
		return plan.OpenedStore{}, fmt.Errorf("kind %s is not supported by this build of plexform", s.Kind)
	}
	spec := from(s) // its paths are the host's already
	st, err := spec.open(on)
	return plan.OpenedStore{Store: st, Kind: s.Kind, Found: s.How, File: spec.file()}, err
}
