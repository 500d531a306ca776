// Package plan is the plan file (format version 1), its validation, the registry of
// kinds of resource (which package kinds fills), and the diff between what a plan wants
// and what the host's stores hold.
package plan

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// Plan is a decoded, validated plan file.
type Plan struct {
	// File is the plan file's path as given; errors and saved plans name it.
	File        string
	Version     int
	Description string
	Backups     Backups
	// Resources holds every resource of the file, also those whose `when` does not
	// select this host; Selected filters them.
	Resources []*Resource
	Verify    []*Verify
	// Warnings are what is probably not meant, such as a typo in a sign-in name.
	Warnings []Warning
}

// Backups says where backups go and how many are kept per store.
type Backups struct {
	Dir  string // empty: the default state dir
	Keep int    // newest N per store; default DefaultKeep
}

// DefaultKeep is how many backups of each store are kept when the plan does not say.
const DefaultKeep = 10

// MaxNameLen bounds a resource's name: it names its backups (ID and file name), and a
// backup id must stay a sane file name. validate refuses a longer one, so apply never
// meets a name it cannot back up.
const MaxNameLen = 100

// Pos is a place in the plan file.
type Pos struct{ Line, Column int }

// Resource is one entry of `resources:`: what every resource has (name, kind, place,
// when:), what the diff and the executor read of a store (absent:, set:, service:...)
// and of a service (state:, timeout:), and in Spec the fields only its kind has, typed
// by the kind (kinds.XMLAttributes, kinds.Service...).
type Resource struct {
	Name string
	Kind string
	Pos  Pos
	When When

	// Spec is the kind's own fields (Kind.NewSpec), nil for a kind that has none.
	Spec any

	// Store fields.
	Absent    []string
	Set       []*Setting
	Sensitive []string
	// NonSensitive opts names out of the default rule for personal data (Mail, Email,
	// Username); a token, password or secret can never be opted out.
	NonSensitive []string
	Service      string // the service resource guarding this store

	// Service fields.
	State   string // running or stopped
	Timeout time.Duration

	// URL is the server a plex_claim or plex_signin asks, default DefaultServerURL.
	URL string

	// Claim holds what only a plex_claim states, Signin what only a plex_signin states
	// (kinds/plex_claim.go and kinds/plex_signin.go decode them; plex/signin runs them).
	// They are plan's types rather than the kinds' because plex/signin, below kinds,
	// reads them.
	Claim  *Claim
	Signin *Signin

	// fieldPos remembers where each field stood, for errors found after decoding, and
	// absentPos where each absent: name did, for warnings about it.
	fieldPos  map[string]Pos
	absentPos []Pos
}

// FieldPos is where a field of the resource stood in the plan file, if it was given.
func (r *Resource) FieldPos(field string) (Pos, bool) {
	at, ok := r.fieldPos[field]
	return at, ok
}

// SetFieldPos records where a field's value came from, for a value one resource gives
// another (a plex_signin's service: given to its store).
func (r *Resource) SetFieldPos(field string, at Pos) {
	if r.fieldPos == nil {
		r.fieldPos = map[string]Pos{}
	}
	r.fieldPos[field] = at
}

// Claim is a plex_claim's own fields.
type Claim struct {
	Token       Source // the claim token: {env: VAR} or {file: PATH}, never a literal
	Method      string // local (POST /myplex/claim) or exchange (plex.tv, then write the token)
	ExchangeURL string // the claim exchange's base URL, default DefaultExchangeURL
	Preferences string // exchange: the store resource to write PlexOnlineToken into
}

// Defaults of plex_claim.
const (
	DefaultServerURL   = "http://127.0.0.1:32400"
	DefaultExchangeURL = "https://plex.tv"
)

// Setting is one entry of `set:`.
type Setting struct {
	Name   string
	Source Source
	Pos    Pos
}

// Source is where a `set` value comes from: exactly one of a literal, an environment
// variable or a file. Type is the store's type name, empty for its default string type.
type Source struct {
	Literal    string
	HasLiteral bool
	Env        string
	File       string
	Type       string
}

// When selects resources for a host.
type When struct {
	OS []string
}

// Verify is one check run after apply; a failure rolls the apply back.
type Verify struct {
	Pos  Pos
	HTTP *HTTPCheck
	Log  *LogCheck
}

// HTTPCheck expects a URL to answer with a status (and optionally a text) within a timeout.
type HTTPCheck struct {
	URL      string
	Status   int
	Contains string
	Timeout  time.Duration
}

// LogCheck expects no new line of a log file to match any of the patterns.
type LogCheck struct {
	Path         string
	MustNotMatch []*regexp.Regexp
}

// IsStore reports whether the resource holds values.
func (r *Resource) IsStore() bool { return r.role() == RoleStore }

// IsService reports whether the resource is a service that guards stores.
func (r *Resource) IsService() bool { return r.role() == RoleService }

func (r *Resource) role() Role {
	if k := KindOf(r.Kind); k != nil {
		return k.Role
	}
	return 0
}

// SelectedFor reports whether the resource applies to an OS (runtime.GOOS spelling).
func (r *Resource) SelectedFor(goos string) bool {
	return len(r.When.OS) == 0 || slices.Contains(r.When.OS, goos)
}

// IsSensitive reports whether a value's content must never be shown: names listed in
// `sensitive`, and names the default rule (IsSensitiveName) covers unless the plan lists
// them under `nonsensitive`.
func (r *Resource) IsSensitive(name string) bool {
	for _, s := range r.Sensitive {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	if IsSecretName(name) {
		return true
	}
	for _, s := range r.NonSensitive {
		if strings.EqualFold(s, name) {
			return false
		}
	}
	return IsSensitiveName(name)
}

// secretSuffixes name credentials: always hidden, whatever the plan says.
var secretSuffixes = []string{"token", "password", "secret"}

// personalSuffixes name personal data (PlexOnlineMail, PlexOnlineUsername): hidden by
// default, because plan output ends up in forum posts and CI logs; a plan may show one
// with `nonsensitive:`.
var personalSuffixes = []string{"mail", "email", "username"}

// IsSecretName reports whether a name ends in Token, Password or Secret (any case).
func IsSecretName(name string) bool { return hasSuffixFold(name, secretSuffixes) }

// IsPersonalName reports whether a name ends in Mail, Email or Username (any case).
func IsPersonalName(name string) bool { return hasSuffixFold(name, personalSuffixes) }

// IsSensitiveName is the default rule for names a plan does not list: secrets and
// personal data.
func IsSensitiveName(name string) bool { return IsSecretName(name) || IsPersonalName(name) }

func hasSuffixFold(name string, suffixes []string) bool {
	lower := strings.ToLower(name)
	for _, suffix := range suffixes {
		if strings.HasSuffix(lower, suffix) {
			return true
		}
	}
	return false
}

// Selected returns the resources that apply to goos, in file order.
func (p *Plan) Selected(goos string) []*Resource {
	var out []*Resource
	for _, r := range p.Resources {
		if r.SelectedFor(goos) {
			out = append(out, r)
		}
	}
	return out
}

// Resource returns the resource with the given name, or nil.
func (p *Plan) Resource(name string) *Resource {
	for _, r := range p.Resources {
		if r.Name == name {
			return r
		}
	}
	return nil
}
