package service

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/plexform/plexform/stores"
)

// Manager is everything plexform knows about one service manager: what a plan calls it,
// which fields of a service resource it reads and needs, how it may be driven under
// -root, and how it opens. Each manager's own file declares it and registers it once,
// from init, as database/sql drivers do; New, plan validation (through host), the
// schema and the error messages all read the registry.
type Manager struct {
	// Name is what manager: says ("systemd").
	Name string
	// Doc is one phrase for the schema and help ("a systemd unit").
	Doc string
	// Fields are the fields of the service resource it reads, spelled as the plan
	// spells them (unit, dir, start...); Needs are those that must be given. Open
	// refuses a Config that lacks one of Needs, naming the field. A field that is not
	// one of SharedFields is the manager's own: a plain string the service kind
	// decodes and hands over in Config.Own. None may be one of ResourceFields.
	Fields, Needs []string
	// UnderRoot says whether it can be driven when the plan acts on a tree under -root.
	UnderRoot UnderRoot
	// Open returns the service cfg describes. cfg.Runner is already set (OSRunner when
	// the caller gave none).
	Open func(cfg Config) (stores.Service, error)
}

// UnderRoot says whether a manager can be driven under -root (a mounted disk, a
// container volume), where what runs belongs to the tree's own host.
type UnderRoot int

const (
	// NotUnderRoot managers drive this machine's Plex, not the tree's (a systemd unit,
	// the macOS app).
	NotUnderRoot UnderRoot = iota
	// InTree managers are addressed by a directory inside the tree (s6).
	InTree
	// NamedInPlan managers drive what the plan itself names (exec's commands, a
	// container on this machine's engine), but not what discovery found in the tree.
	NamedInPlan
)

// SharedFields are the service resource's fields that Config carries by name, with
// the meaning Config gives them: any manager may read them.
var SharedFields = []string{"unit", "dir", "app", "container", "start", "stop", "status"}

// ResourceFields are the fields a plan resource has that are no manager's: every
// resource's (name, kind, when), a service's own (manager, state, timeout) and a
// store's (absent, set, sensitive, nonsensitive, service). A manager's field of that
// name would mean two things in one plan, so Register refuses it.
var ResourceFields = []string{"name", "kind", "when", "manager", "state", "timeout", "absent", "set", "sensitive", "nonsensitive", "service"}

// fieldName is how a field is spelled in a plan: lower case, digits and _.
var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

var managers = struct {
	sync.RWMutex
	byName map[string]Manager
}{byName: map[string]Manager{}}

// Register adds a manager to the registry. It panics on a second manager of the same
// name, an empty name, no Open, a field named as no plan spells one or as one of
// ResourceFields, or a Need that is not among its Fields: all are mistakes in the
// program, found by any test that links the manager in.
func Register(m Manager) {
	managers.Lock()
	defer managers.Unlock()
	switch {
	case m.Name == "" || m.Open == nil:
		panic("service: Register needs a Name and an Open")
	case managers.byName[m.Name].Name != "":
		panic("service: manager " + m.Name + " registered twice")
	}
	for _, f := range m.Fields {
		switch {
		case !fieldName.MatchString(f):
			panic(fmt.Sprintf("service: manager %s reads field %q, which is not spelled as a plan's fields are (a-z, 0-9, _, starting with a letter)", m.Name, f))
		case slices.Contains(ResourceFields, f):
			panic("service: manager " + m.Name + " reads field " + f + ", which every service resource already has with a meaning of its own (" + strings.Join(ResourceFields, ", ") + "); name the manager's field otherwise")
		}
	}
	for _, need := range m.Needs {
		if !slices.Contains(m.Fields, need) {
			panic("service: manager " + m.Name + " needs " + need + ", which is not among its Fields")
		}
	}
	managers.byName[m.Name] = m
}

// Lookup returns the registered manager of that name.
func Lookup(name string) (Manager, bool) {
	managers.RLock()
	defer managers.RUnlock()
	m, ok := managers.byName[name]
	return m, ok
}

// Registered returns every registered manager, sorted by name.
func Registered() []Manager {
	managers.RLock()
	defer managers.RUnlock()
	out := make([]Manager, 0, len(managers.byName))
	for _, m := range managers.byName {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Manager) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// OwnField names the registered managers that read name as a field of their own (one
// of their Fields that is not one of SharedFields); none for a shared field or a field
// no manager reads.
func OwnField(name string) (readBy []string) {
	if slices.Contains(SharedFields, name) {
		return nil
	}
	for _, m := range Registered() {
		if slices.Contains(m.Fields, name) {
			readBy = append(readBy, m.Name)
		}
	}
	return readBy
}

// Managers lists the names of the registered managers, sorted, for error messages.
func Managers() []string {
	var names []string
	for _, m := range Registered() {
		names = append(names, m.Name)
	}
	return names
}

// New returns the service that cfg describes, opened by the manager cfg names.
func New(cfg Config) (stores.Service, error) {
	m, ok := Lookup(cfg.Manager)
	if !ok {
		return nil, fmt.Errorf("unknown service manager %q; use one of: %s", cfg.Manager, strings.Join(Managers(), ", "))
	}
	if cfg.Runner == nil {
		cfg.Runner = OSRunner{}
	}
	return m.Open(cfg)
}

// need is a manager's Open refusing a Config without a field it needs; what names the
// field as the plan spells it ("a snap name (unit)").
func need(cfg Config, what, value string) error {
	if value == "" {
		return fmt.Errorf("service manager %s needs %s", cfg.Manager, what)
	}
	return nil
}
