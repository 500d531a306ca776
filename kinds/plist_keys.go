package kinds

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/plist"
)

// PlistKeys is what a plist_keys resource names: the top-level keys of a plist file, or
// of a defaults domain on macOS (exactly one of the two).
type PlistKeys struct {
	Path   string // the plist file, as the plan names it
	Domain string // a defaults domain, through the defaults command
}

func init() {
	spec := func(r *plan.Resource) *PlistKeys { return r.Spec.(*PlistKeys) }
	plan.Register(&plan.Kind{
		Name: plan.KindPlistKeys, Doc: "top-level keys of a plist file, or of a defaults domain on macOS", Role: plan.RoleStore,
		Fields: append([]string{"path", "domain"}, plan.StoreFields...), OneOf: []string{"path", "domain"},
		NewSpec: func() any { return &PlistKeys{} },
		Own: map[string]*plan.Field{
			"path":   hostPathField(pathDoc, func(r *plan.Resource) *string { return &spec(r).Path }),
			"domain": stringField("a defaults domain (macOS only)", func(r *plan.Resource) *string { return &spec(r).Domain }),
		},
		FieldOS: map[string]*plan.OSNeed{"domain": {OS: "darwin", Why: "works only on macOS (through the defaults command)",
			Or: ", or use path: with the plist file on other systems"}},
		Types: []string{"integer", "real", "bool", "date", "data"}, Canonical: plist.Canonical,
		Open: openStore, At: plistAt, BackupExt: "plist", Init: initStore,
	})
	fromSettings[plan.KindPlistKeys] = func(s discover.Settings) storeSpec { return &PlistKeys{Path: s.Path, Domain: s.Domain} }
}

func (s *PlistKeys) resolved(on plan.OnHost) (storeSpec, error) {
	path, err := on.Path(s.Path)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	return &PlistKeys{Path: path, Domain: s.Domain}, nil
}

func (s *PlistKeys) open(on plan.OnHost) (stores.Store, error) {
	if s.Domain == "" {
		return plist.NewFileIn(fileutil.RootAt(on.Root), s.Path), nil
	}
	if !plist.DomainSupported() || on.Root != "" {
		return nil, fmt.Errorf("domain: works only on macOS itself (through the defaults command), not on %s or under -root; use path: with the plist file, e.g. ~/Library/Preferences/%s.plist", on.GOOS, s.Domain)
	}
	return systemDomain(s.Domain)
}

func (s *PlistKeys) file() string { return s.Path }

func (s *PlistKeys) initLines() []plan.InitLine {
	if s.Domain != "" {
		return []plan.InitLine{{Field: "domain", Value: s.Domain}}
	}
	return []plan.InitLine{{Field: "path", Value: s.Path}}
}

// plistAt opens the plist a backup names: a file, or (on macOS) a defaults domain.
func plistAt(target string) (stores.Store, error) {
	if filepath.IsAbs(target) {
		return plist.NewFile(target), nil
	}
	if domain, ok := strings.CutPrefix(target, "defaults domain "); ok && plist.DomainSupported() {
		return systemDomain(domain)
	}
	return nil, fmt.Errorf("this build of plexform cannot restore a %s backup of %s on this OS", plan.KindPlistKeys, target)
}
