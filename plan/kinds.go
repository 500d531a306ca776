package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
)

// Kinds of resource this build's kinds package registers, named here because the host
// binder, the executor and the commands single them out (a service guards stores, a
// claim runs after them). A new store kind needs no name here.
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

// Kind is one entry of the registry of kinds: everything the decoder, validate, the
// schema, the host binder, the backups and `plexform init` need to know about a kind.
//
// The registry lives in plan because the plan format is defined by it; the kinds
// themselves live in package kinds, one file each, and Register themselves from init.
// plan knows no store driver: what opens a store (Open, At), spells its typed values
// (Canonical) or checks its text (CheckText) is the kind's. docs/architecture.md, "How
// to add a store kind", is the recipe.
type Kind struct {
	Name string
	Doc  string // one sentence, for the schema and error messages
	Role Role
	// Fields are the fields the kind takes besides name, kind and when, in the order
	// errors list them: each is one of Own or a shared field (absent, set, service...).
	Fields []string
	// Own are the fields only this kind reads, or reads in its own sense; they decode
	// into the kind's Spec (or, for the plex_claim and plex_signin kinds, into the
	// Resource fields their runtime reads).
	Own map[string]*Field
	// NewSpec makes the kind's typed spec, which Own fields fill (Resource.Spec); nil
	// for a kind whose fields are all shared.
	NewSpec func() any
	// Required must be given; exactly one of OneOf must be given.
	Required []string
	OneOf    []string
	// OS, when set, is the only OS where the kind works: its resources must be kept
	// there by when:, so the plan still validates and runs elsewhere.
	OS *OSNeed
	// FieldOS are fields that work on one OS only (plist_keys' domain:).
	FieldOS map[string]*OSNeed
	// Finish runs once a resource's fields are read: defaults, and checks across its
	// fields (errors at r.Pos).
	Finish func(d *Decoder, r *Resource)
	// Link runs over the whole plan before references are checked, for a kind that
	// ties resources together (plex_signin gives its store its service).
	Link func(d *Decoder, p *Plan, r *Resource, byName map[string]*Resource)
	// Validate checks a resource's references to others (Decoder.CheckRef).
	Validate func(d *Decoder, p *Plan, r *Resource, byName map[string]*Resource)
	// Keeps names the store resource r keeps in a state of its own (a plex_signin's
	// store), which then need not state anything itself; "" for none.
	Keeps func(r *Resource) string
	// SchemaRules are extra JSON Schema rules of the kind (appended to its allOf).
	SchemaRules []map[string]any
	// Types are the type: names set: values may carry; empty means text only.
	Types []string
	// Canonical parses a typed value as the store will and spells it as the store
	// reads it back ("0x2A" as "42"); nil for text-only stores.
	Canonical func(stores.Value) (stores.Value, error)
	// CheckText refuses a text value (one with no type:) the store cannot hold, such as
	// a control character in an XML attribute; nil: any text. validate calls it on
	// literals, and binding on values from {env:} and {file:}, so apply never meets one.
	CheckText func(string) error
	// Open opens the store a resource of a store kind names on this host.
	Open func(r *Resource, on OnHost) (OpenedStore, error)
	// OpenService opens the service a resource of a service kind names on this host.
	OpenService func(r *Resource, on OnHost) (OpenedService, error)
	// At makes the store a backup manifest names by its target, for restore.
	At func(target string) (stores.Store, error)
	// BackupExt is the extension of the store's backup copies, its native format
	// ("xml"); every concrete store kind has one.
	BackupExt string
	// Discovered kinds find what acts for them on the host (with plex/discover);
	// ActsAs are the kinds they may turn out to be.
	Discovered bool
	ActsAs     []string
	// Managers gives the service managers a service kind names in manager:, asked each
	// time, so a manager registered after the kind (stores/service's registry is filled
	// from its packages' init) is known; the fields they read are the kind's too.
	Managers func() []*Manager
	// ManagerField is the decoder and schema of a field one of its Managers reads that
	// is neither the kind's own nor shared (a manager's field of its own), asked each
	// time like Managers; nil for a name no manager reads.
	ManagerField func(name string) *Field
	// Init is what `plexform init` writes for a resource of this kind with this spec
	// (as discovery found it), after its name: and kind: lines.
	Init func(spec any) []InitLine
}

// OSNeed is an OS a kind or field needs, and why, for the error that asks for when:.
type OSNeed struct {
	OS  string
	Why string // "exists only on Windows"
	Or  string // another way, appended to the error: ", or use path: ..."
}

// OnHost is where a kind's Open opens a resource: the plan (whose relative paths are
// relative to its file), -root, the OS it runs on and its environment.
type OnHost struct {
	Plan   *Plan
	Root   string
	GOOS   string
	Getenv func(string) (string, bool)
}

// Path resolves a path the plan names on this host (Plan.HostPath).
func (on OnHost) Path(path string) (string, error) { return on.Plan.HostPath(on.Root, path) }

// OpenedStore is a store opened for a resource.
type OpenedStore struct {
	Store stores.Store
	// Kind is the store's own kind: the resource's, or what a discovered kind found.
	Kind string
	// Found says how a discovered kind found it; "" otherwise.
	Found string
	// File is the store's file on this machine (under -root), "" for a key or a domain.
	File string
}

// OpenedService is a service opened for a resource.
type OpenedService struct {
	Service stores.Service
	// Manager drives it; "" when a discovered kind found none (the Service then says
	// so when asked anything).
	Manager string
	Found   string
}

// InitLine is one line `plexform init` writes for a resource: Field: Value (a string
// or a list of strings), with an optional # Comment; a line with no Field is a comment.
type InitLine struct {
	Field   string
	Value   any
	Comment string
}

// DefaultServiceTimeout bounds a service's stop or start when the plan gives no timeout.
const DefaultServiceTimeout = 60 * time.Second

// Manager is one service manager of the service kind, as plan needs to know it: what
// validate, the decoder and the schema read. The managers themselves register in
// stores/service, which plan does not import; kinds/service.go hands them over.
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

// StoreFields are the shared fields every store kind takes, after its own.
var StoreFields = []string{"absent", "set", "sensitive", "nonsensitive", "service"}

// managers are the kind's service managers, none for a kind that has no Managers.
func (k *Kind) managers() []*Manager {
	if k.Managers == nil {
		return nil
	}
	return k.Managers()
}

// fieldNames are the fields the kind takes besides name, kind and when: its Fields, then
// those its managers read, in the managers' order.
func (k *Kind) fieldNames() []string {
	names := k.Fields
	for _, m := range k.managers() {
		for _, f := range m.Fields {
			if !slices.Contains(names, f) {
				names = append(slices.Clip(names), f)
			}
		}
	}
	return names
}

// kindTable is the registry of kinds. Register adds to it.
var kindTable = map[string]*Kind{}

// Register adds a kind to the registry; each kind's file in package kinds calls it from
// init. It panics on a kind registered twice or a field that is neither the kind's own
// nor shared: both are mistakes of this build, found by any test that imports the kind.
func Register(k *Kind) {
	if _, dup := kindTable[k.Name]; dup {
		panic("plan: kind " + k.Name + " registered twice")
	}
	for _, f := range k.allFields() {
		if k.field(f) == nil {
			panic("plan: kind " + k.Name + " takes field " + f + ", which is neither its own nor a shared field")
		}
	}
	kindTable[k.Name] = k
}

// Unregister removes a kind; for tests that register a throw-away kind.
func Unregister(name string) { delete(kindTable, name) }

// KindOf returns the registry entry of a kind, or nil when there is none.
func KindOf(name string) *Kind { return kindTable[name] }

// KindNames lists the known kinds, sorted.
func KindNames() []string { return sortedKeys(kindTable) }

// Manager returns the kind's manager of that name, or nil.
func (k *Kind) Manager(name string) *Manager {
	for _, m := range k.managers() {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// ManagerNames lists the kind's managers, sorted.
func (k *Kind) ManagerNames() []string {
	ms := k.managers()
	names := make([]string, len(ms))
	for i, m := range ms {
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
		if ak := KindOf(a); ak != nil {
			out = append(out, ak.Types...)
		}
	}
	return out
}

// OnlyOn is the OS a resource of this kind giving these fields must be kept to by
// when:, or "" when it runs anywhere.
func (k *Kind) OnlyOn(fields []string) string {
	if k.OS != nil {
		return k.OS.OS
	}
	for _, f := range fields {
		if o := k.FieldOS[f]; o != nil {
			return o.OS
		}
	}
	return ""
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
		if ak := KindOf(a); ak != nil && slices.Contains(ak.Types, typ) {
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
	k := KindOf(KindService)
	if k == nil {
		return false
	}
	m := k.Manager(manager)
	if m == nil {
		return false
	}
	return m.UnderRoot == InTree || (m.UnderRoot == NamedInPlan && kind == KindService)
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

// field is the decoder and schema of one field of the kind: its own, or a shared one.
func (k *Kind) field(name string) *Field {
	if f := k.Own[name]; f != nil {
		return f
	}
	if f := fieldTable[name]; f != nil || k.ManagerField == nil {
		return f
	}
	return k.ManagerField(name)
}

func (k *Kind) allows(field string) bool {
	return slices.Contains(commonFields, field) || slices.Contains(k.fieldNames(), field)
}

func (k *Kind) allFields() []string {
	return append(append([]string{}, commonFields...), k.fieldNames()...)
}

func (k *Kind) allowed() string { return strings.Join(k.allFields(), ", ") }

// ErrNoKinds is what decoding (and whatever else asks the registry) says when no kind is
// registered: the program forgot to import package kinds, and every plan would otherwise
// fail with "unknown kind", or a store of a known kind fail to open.
var ErrNoKinds = fmt.Errorf("no kinds of resource are registered in this program: it must import github.com/plexform/plexform/kinds")

// IsBackupExt reports whether ext is the BackupExt of a registered kind: a backup copy's
// name may end in it.
func IsBackupExt(ext string) bool {
	for _, k := range kindTable {
		if ext != "" && k.BackupExt == ext {
			return true
		}
	}
	return false
}
