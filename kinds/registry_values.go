package kinds

import (
	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry"
	"github.com/plexform/plexform/stores/registry/regfile"
)

// RegistryValues is what a registry_values resource names: the values of one Windows
// registry key, in this account's hive or another's.
type RegistryValues struct {
	Key  string // HKCU\Software\Plex, Inc.\Plex Media Server
	User string // another account whose hive holds the key; "" for this one's
}

func init() {
	spec := func(r *plan.Resource) *RegistryValues { return r.Spec.(*RegistryValues) }
	plan.Register(&plan.Kind{
		Name: plan.KindRegistryValues, Doc: "values of one Windows registry key", Role: plan.RoleStore,
		Fields: append([]string{"key", "user"}, plan.StoreFields...), Required: []string{"key"},
		NewSpec: func() any { return &RegistryValues{} },
		Own: map[string]*plan.Field{
			"key": {Doc: `a registry key such as HKCU\Software\Plex, Inc.\Plex Media Server`, Type: plan.FieldString,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					s := spec(r)
					if s.Key = d.Str(v, what); s.Key != "" {
						if _, err := regfile.ParseKeyPath(s.Key); err != nil {
							d.Errorf(v, "%s: %v", what, err)
						}
					}
				}},
			"user": stringField("another account whose registry hive holds the key", func(r *plan.Resource) *string { return &spec(r).User }),
		},
		OS:    &plan.OSNeed{OS: "windows", Why: "exists only on Windows", Or: " so the plan also runs elsewhere"},
		Types: []string{"REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY"}, Canonical: registry.Canonical,
		Open:      openStore,
		At:        func(target string) (stores.Store, error) { return registry.New(target, "") },
		BackupExt: "reg", Init: initStore,
	})
	fromSettings[plan.KindRegistryValues] = func(s discover.Settings) storeSpec { return &RegistryValues{Key: s.Key, User: s.User} }
}

func (s *RegistryValues) resolved(plan.OnHost) (storeSpec, error) { return s, nil }

func (s *RegistryValues) open(plan.OnHost) (stores.Store, error) { return registry.New(s.Key, s.User) }

func (s *RegistryValues) file() string { return "" }

func (s *RegistryValues) initLines() []plan.InitLine {
	lines := []plan.InitLine{{Field: "key", Value: s.Key}}
	if s.User != "" {
		lines = append(lines, plan.InitLine{Field: "user", Value: s.User, Comment: "the hive of the account the Plex service runs as"})
	}
	return lines
}
