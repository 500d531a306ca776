package plan

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/plist"
	"github.com/plexform/plexform/stores/registry"
	"github.com/plexform/plexform/stores/xmlattrs"
)

// Kinds of resource the plan format knows.
const (
	KindXMLAttributes  = "xml_attributes"
	KindPlistKeys      = "plist_keys"
	KindRegistryValues = "registry_values"
	KindService        = "service"
	// Kinds that find Plex on the host and act as the kinds above.
	KindPlexPreferences = "plex_preferences"
	KindPlexService     = "plex_service"
	KindPlexClaim       = "plex_claim"
)

// Role says what a kind of resource is to the executor.
type Role int

// The roles a kind can have.
const (
	// RoleStore holds named values (absent:, set:) and may be guarded by a service.
	RoleStore Role = iota + 1
	// RoleService is stopped while the stores it guards change.
	RoleService
	// RoleClaim claims the server after the reset.
	RoleClaim
)

// How to add to the table:
//   - a store kind: one Kind entry below (fields, Required/OneOf, OS, Types and
//     Canonical when typed, Open and At) and its package under stores/; a new field
//     also needs an entry in fieldTable (fields.go) and a Resource field;
//   - a service manager: its file in stores/service, which registers it there
//     (service.Register); host/managers.go hands every registered one to RegisterManager;
//   - a kind whose package imports plan: Register it from that package's init.
//
// The decoder, validate's typed-value check, the host binder (host) and
// `plexform schema` all read this table.

// Kind is one entry of the table of kinds: everything the decoder, validate, the
// schema and the host binder need to know about a kind. Adding a kind is one entry
// here plus the package that implements it.
//
// The table lives in plan because the plan format is defined by it; it can hold the
// store constructors because the store packages (stores/...) never import plan. What
// needs the host (discovery of the plex_* kinds) stays in host, which reads
// Discovered and ActsAs from here.
type Kind struct {
	Name string
	Doc  string // one sentence, for the schema and error messages
	Role Role
	// Fields are the fields the kind takes besides name, kind and when (see fieldTable).
	Fields []string
	// Required must be given; exactly one of OneOf must be given.
	Required []string
	OneOf    []string
	// OS, when set, is the only OS where the kind works: its resources must be kept
	// there by when:, so the plan still validates and runs elsewhere.
	OS *OSNeed
	// FieldOS are fields that work on one OS only (plist_keys' domain:).
	FieldOS map[string]*OSNeed
	// Types are the type: names set: values may carry; empty means text only.
	Types []string
	// Canonical parses a typed value as the store will and spells it as the store
	// reads it back ("0x2A" as "42"); nil for text-only stores.
	Canonical func(stores.Value) (stores.Value, error)
	// CheckText refuses a text value (one with no type:) the store cannot hold, such as
	// a control character in an XML attribute; nil: any text. validate calls it on
	// literals, and binding on values from {env:} and {file:}, so apply never meets one.
	CheckText func(string) error
	// Open makes the store a resource names (Role store, not Discovered).
	Open func(Target) (stores.Store, error)
	// At makes the store a backup manifest names by its target, for restore.
	At func(target string) (stores.Store, error)
	// Discovered kinds find what acts for them on the host (host, with
	// plex/discover); ActsAs are the kinds they may turn out to be.
	Discovered bool
	ActsAs     []string
	// Managers are the service managers a service kind names in manager:.
	Managers []*Manager
}

// OSNeed is an OS a kind or field needs, and why, for the error that asks for when:.
type OSNeed struct {
	OS  string
	Why string // "exists only on Windows"
	Or  string // another way, appended to the error: ", or use path: ..."
}

// Target is what a store kind's Open gets: the resource's fields, host paths already
// resolved (inside Root when one is given), and where it runs.
type Target struct {
	Path, Element, Domain, Key, User string
	Root, GOOS                       string
}

// Manager is one service manager of the service kind, as stores/service registers it
// (service.Manager): what validate, the decoder and the schema need to know of it.
type Manager struct {
	Name string
	Doc  string
	// Fields are the fields of the service resource this manager reads; Needs must be given.
	Fields []string
	Needs  []string
	// UnderRoot: how it can be driven when the plan acts on a tree under -root.
	UnderRoot UnderRoot
}

// UnderRoot says whether a manager can be driven under -root.
type UnderRoot int

const (
	// NotUnderRoot managers drive this machine's Plex, not the tree's.
	NotUnderRoot UnderRoot = iota
	// InTree managers are addressed by a directory inside the tree (s6).
	InTree
	// NamedInPlan managers drive what the plan itself names (exec's commands, a
	// container on this machine's engine), but not what discovery found in the tree.
	NamedInPlan
)

var storeFields = []string{"absent", "set", "sensitive", "nonsensitive", "service"}

var (
	plistTypes    = []string{"integer", "real", "bool", "date", "data"}
	registryTypes = []string{"REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY"}
)

// kindTable is the table of kinds. Register adds to it.
var kindTable = map[string]*Kind{}

func init() {
	for _, k := range []*Kind{
		{
			Name: KindXMLAttributes, Doc: "attributes of one XML element (Preferences.xml)", Role: RoleStore,
			Fields: append([]string{"path", "element"}, storeFields...), Required: []string{"path"},
			Open: func(t Target) (stores.Store, error) {
				return xmlattrs.New(t.Path, t.Element, xmlattrs.In(fileutil.RootAt(t.Root))), nil
			},
			At:        func(target string) (stores.Store, error) { return xmlattrs.New(target, ""), nil },
			CheckText: xmlattrs.CheckText,
		},
		{
			Name: KindPlistKeys, Doc: "top-level keys of a plist file, or of a defaults domain on macOS", Role: RoleStore,
			Fields: append([]string{"path", "domain"}, storeFields...), OneOf: []string{"path", "domain"},
			FieldOS: map[string]*OSNeed{"domain": {OS: "darwin", Why: "works only on macOS (through the defaults command)",
				Or: ", or use path: with the plist file on other systems"}},
			Types: plistTypes, Canonical: plist.Canonical,
			Open: openPlist, At: plistAt,
		},
		{
			Name: KindRegistryValues, Doc: "values of one Windows registry key", Role: RoleStore,
			Fields: append([]string{"key", "user"}, storeFields...), Required: []string{"key"},
			OS:    &OSNeed{OS: "windows", Why: "exists only on Windows", Or: " so the plan also runs elsewhere"},
			Types: registryTypes, Canonical: registry.Canonical,
			Open: func(t Target) (stores.Store, error) { return registry.New(t.Key, t.User) },
			At:   func(target string) (stores.Store, error) { return registry.New(target, "") },
		},
		{
			Name: KindService, Doc: "a service that is stopped while the stores it guards change", Role: RoleService,
			Fields: []string{"manager", "state", "timeout"}, Required: []string{"manager"},
		},
		{
			// path: is optional: it overrides what discovery would find.
			Name: KindPlexPreferences, Doc: "whichever store holds Plex's settings on this host", Role: RoleStore,
			Fields: append([]string{"path"}, storeFields...), Discovered: true,
			ActsAs: []string{KindXMLAttributes, KindPlistKeys, KindRegistryValues},
			// Checked as Preferences.xml would hold it, on every OS: that is where Plex keeps
			// its settings on Linux, FreeBSD, NAS boxes and in containers, and one plan
			// (examples/plex-reset.yaml) is meant to run on all of them.
			CheckText: xmlattrs.CheckText,
		},
		{
			Name: KindPlexService, Doc: "whichever service manager runs Plex on this host", Role: RoleService,
			Fields: []string{"state", "timeout"}, Discovered: true,
		},
		{
			Name: KindPlexClaim, Doc: "claims the server for a plex.tv account with a claim token", Role: RoleClaim,
			Fields:   []string{"token", "url", "service", "method", "exchange_url", "preferences", "timeout"},
			Required: []string{"token", "service"},
		},
	} {
		Register(k)
	}
}

// Register adds a kind to the table; a package implementing a kind that cannot be
// named in the table above (because it imports plan) calls it from init. Fields the
// service kind's managers read are added to its Fields; a discovered kind takes the
// types of every kind it acts as.
func Register(k *Kind) {
	if _, dup := kindTable[k.Name]; dup {
		panic("plan: kind " + k.Name + " registered twice")
	}
	for _, m := range k.Managers {
		k.addFields(m)
	}
	kindTable[k.Name] = k
}

// RegisterManager adds a manager to the service kind, and the fields it reads to the
// kind's Fields. The managers live in stores/service, which plan does not import: the
// bridge above both (host/managers.go) registers each of them here from init.
func RegisterManager(m *Manager) {
	k := KindOf(KindService)
	if k.Manager(m.Name) != nil {
		panic("plan: manager " + m.Name + " registered twice")
	}
	k.Managers = append(k.Managers, m)
	k.addFields(m)
}

func (k *Kind) addFields(m *Manager) {
	for _, f := range m.Fields {
		if !slices.Contains(k.Fields, f) {
			k.Fields = append(k.Fields, f)
		}
	}
}

// KindOf returns the table entry of a kind, or nil when there is none.
func KindOf(name string) *Kind { return kindTable[name] }

// KindNames lists the known kinds, sorted.
func KindNames() []string { return sortedKeys(kindTable) }

// Manager returns the kind's manager of that name, or nil.
func (k *Kind) Manager(name string) *Manager {
	for _, m := range k.Managers {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// ManagerNames lists the kind's managers, sorted.
func (k *Kind) ManagerNames() []string {
	names := make([]string, len(k.Managers))
	for i, m := range k.Managers {
		names[i] = m.Name
	}
	sort.Strings(names)
	return names
}

// SetTypes are the type: names the kind's set: values may carry: its own, or for a
// discovered kind those of every kind it may act as.
func (k *Kind) SetTypes() []string {
	if len(k.ActsAs) == 0 {
		return k.Types
	}
	var out []string
	for _, a := range k.ActsAs {
		out = append(out, KindOf(a).Types...)
	}
	return out
}

// checkText checks a text value against the kind's CheckText, if it has one.
func (k *Kind) checkText(text string) error {
	if k == nil || k.CheckText == nil {
		return nil
	}
	return k.CheckText(text)
}

// canonicalFor returns the canonicalizer for a typed value of this kind: its own, or
// for a discovered kind that of the kind whose type it is.
func (k *Kind) canonicalFor(typ string) func(stores.Value) (stores.Value, error) {
	if slices.Contains(k.Types, typ) {
		return k.Canonical
	}
	for _, a := range k.ActsAs {
		if ak := KindOf(a); slices.Contains(ak.Types, typ) {
			return ak.Canonical
		}
	}
	return nil
}

// DrivenUnderRoot reports whether a service can be driven when the plan acts on a tree
// under -root (a mounted disk, a container volume). An s6 service directory lies inside
// the tree, and exec commands and a named container (on this machine's engine) written
// in the plan are the plan's own; everything else (a systemd unit, the macOS app, a
// discovered synopkg...) would stop and start this machine's Plex, not the one the tree
// belongs to.
func DrivenUnderRoot(kind, manager string) bool {
	m := KindOf(KindService).Manager(manager)
	if m == nil {
		return false
	}
	return m.UnderRoot == InTree || (m.UnderRoot == NamedInPlan && kind == KindService)
}

func openPlist(t Target) (stores.Store, error) {
	if t.Domain == "" {
		return plist.NewFileIn(fileutil.RootAt(t.Root), t.Path), nil
	}
	if !plist.DomainSupported() || t.Root != "" {
		return nil, fmt.Errorf("domain: works only on macOS itself (through the defaults command), not on %s or under -root; use path: with the plist file, e.g. ~/Library/Preferences/%s.plist", t.GOOS, t.Domain)
	}
	return systemDomain(t.Domain)
}

func plistAt(target string) (stores.Store, error) {
	if filepath.IsAbs(target) {
		return plist.NewFile(target), nil
	}
	if domain, ok := strings.CutPrefix(target, "defaults domain "); ok && plist.DomainSupported() {
		return systemDomain(domain)
	}
	return nil, fmt.Errorf("this build of plexform cannot restore a %s backup of %s on this OS", KindPlistKeys, target)
}

// KnownOS are the `when: {os: [...]}` values, spelled as Go's GOOS.
var KnownOS = []string{"linux", "darwin", "windows", "freebsd"}

// commonFields are allowed on every kind.
var commonFields = []string{"name", "kind", "when"}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (k *Kind) allows(field string) bool {
	return slices.Contains(commonFields, field) || slices.Contains(k.Fields, field)
}

func (k *Kind) allFields() []string {
	return append(append([]string{}, commonFields...), k.Fields...)
}

func (k *Kind) allowed() string { return strings.Join(k.allFields(), ", ") }
