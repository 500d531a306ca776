package plan

import (
	"slices"
	"sort"
	"strings"
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

// kindSpec is what one kind accepts: its fields, those it requires, and those of which
// exactly one must be given.
type kindSpec struct {
	fields   []string
	required []string
	oneOf    []string
}

var storeFields = []string{"absent", "set", "sensitive", "service"}

var kinds = map[string]kindSpec{
	KindXMLAttributes:  {fields: append([]string{"path", "element"}, storeFields...), required: []string{"path"}},
	KindPlistKeys:      {fields: append([]string{"path", "domain"}, storeFields...), oneOf: []string{"path", "domain"}},
	KindRegistryValues: {fields: append([]string{"key", "user"}, storeFields...), required: []string{"key"}},
	KindService:        {fields: []string{"manager", "unit", "dir", "app", "start", "stop", "status", "container", "state", "timeout"}, required: []string{"manager"}},
	// path: is optional: it overrides what discovery would find.
	KindPlexPreferences: {fields: append([]string{"path"}, storeFields...)},
	KindPlexService:     {fields: []string{"state", "timeout"}},
	KindPlexClaim:       {fields: []string{"token", "url", "service", "method", "exchange_url", "preferences", "timeout"}, required: []string{"token", "service"}},
}

// commonFields are allowed on every kind.
var commonFields = []string{"name", "kind", "when"}

// Managers the service kind accepts, and the field each one needs.
var managers = map[string][]string{
	"systemd":         {"unit"},
	"snap":            {"unit"},
	"s6":              {"dir"},
	"exec":            {"start", "stop", "status"},
	"launchd":         {"unit"},
	"app":             nil, // app defaults to "Plex Media Server"
	"windows-app":     nil,
	"windows-service": {"unit"},
	"docker":          {"container"},
}

// setTypes are the type: names each kind's set: values may carry ("" is the store's
// text type). plex_preferences acts as one of the others, so it takes any of theirs.
var setTypes = map[string][]string{
	KindXMLAttributes:   {""},
	KindPlistKeys:       {"", "integer", "real", "bool", "date", "data"},
	KindRegistryValues:  {"", "REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY"},
	KindPlexPreferences: {"", "integer", "real", "bool", "date", "data", "REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY"},
}

// KnownOS are the `when: {os: [...]}` values, spelled as Go's GOOS.
var KnownOS = []string{"linux", "darwin", "windows", "freebsd"}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (k kindSpec) allows(field string) bool {
	return slices.Contains(commonFields, field) || slices.Contains(k.fields, field)
}

func (k kindSpec) allowed() string {
	return strings.Join(append(append([]string{}, commonFields...), k.fields...), ", ")
}
