package plan

import (
	"slices"
	"strings"

	"github.com/beevik/etree"
	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/stores/registry/regfile"
)

// fieldType is the shape of a resource field's value, for the schema; the field's
// decode function is what enforces it.
type fieldType int

const (
	typeString     fieldType = iota
	typeName                 // a resource name: [a-z0-9_-]+
	typeStringList           // [A, B]
	typeArgv                 // a non-empty list of strings: a command
	typeDuration             // 30s, 2m
	typeURL                  // http:// or https://
	typeEnum                 // one of field.enum()
	typeSet                  // name: value or name: {value|env|file, type}
	typeSecret               // {env: VAR} or {file: PATH}, never a literal
	typeWhen                 // {os: [...]}
	typeBool                 // true or false
	typeRelink               // plex_signin's {claim_token: SECRET} or {link_code: true}
)

// field is one resource field: its doc and shape (for the schema) and how it is
// decoded into a Resource. Kinds name the fields they take (Kind.Fields).
type field struct {
	doc    string
	typ    fieldType
	enum   func() []string
	decode func(d *decoder, r *Resource, v *yaml.Node, what string)
}

// fieldTable holds every resource field of every kind.
var fieldTable map[string]*field

func init() {
	str := func(set func(*Resource, string)) func(*decoder, *Resource, *yaml.Node, string) {
		return func(d *decoder, r *Resource, v *yaml.Node, what string) { set(r, d.str(v, what)) }
	}
	hostPath := func(set func(*Resource, string)) func(*decoder, *Resource, *yaml.Node, string) {
		return func(d *decoder, r *Resource, v *yaml.Node, what string) { set(r, d.hostPath(v, what)) }
	}
	fieldTable = map[string]*field{
		"name": {doc: "unique name of the resource", typ: typeName, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
			switch r.Name = d.str(v, "name"); {
			case r.Name != "" && !nameRE.MatchString(r.Name):
				d.errorf(v, "resource name %q may use only a-z, 0-9, _ and -", r.Name)
			case len(r.Name) > MaxNameLen:
				d.errorf(v, "resource name %.20q… is %d characters long; at most %d (it names the resource's backups)", r.Name, len(r.Name), MaxNameLen)
			}
		}},
		"kind": {doc: "what the resource is", typ: typeEnum, enum: KindNames,
			decode: func(*decoder, *Resource, *yaml.Node, string) {}}, // read first, by resource
		"when": {doc: "the systems the resource applies to", typ: typeWhen, decode: (*decoder).when},
		"path": {doc: "the file (relative paths are relative to the plan file)", typ: typeString, decode: hostPath(func(r *Resource, s string) { r.Path = s })},
		"element": {doc: "etree path of the element whose attributes are meant, such as /Preferences; default: the root element", typ: typeString,
			decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
				if r.Element = d.str(v, what); r.Element != "" {
					if _, err := etree.CompilePath(r.Element); err != nil {
						d.errorf(v, "%s %q is not an element path (%v); write it like /Preferences or /Root/Settings[2]", what, r.Element, err)
					}
				}
			}},
		"domain": {doc: "a defaults domain (macOS only)", typ: typeString, decode: str(func(r *Resource, s string) { r.Domain = s })},
		"key": {doc: `a registry key such as HKCU\Software\Plex, Inc.\Plex Media Server`, typ: typeString,
			decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
				if r.Key = d.str(v, what); r.Key != "" {
					if _, err := regfile.ParseKeyPath(r.Key); err != nil {
						d.errorf(v, "%s: %v", what, err)
					}
				}
			}},
		"user": {doc: "another account whose registry hive holds the key", typ: typeString, decode: str(func(r *Resource, s string) { r.User = s })},
		"absent": {doc: "names of values to remove (any case)", typ: typeStringList, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
			r.Absent = d.strList(v, what)
			if v.Kind == yaml.SequenceNode {
				for _, item := range v.Content {
					r.absentPos = append(r.absentPos, pos(item))
				}
			}
		}},
		"sensitive": {doc: "names of values never to print", typ: typeStringList, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) { r.Sensitive = d.strList(v, what) }},
		"nonsensitive": {doc: "personal-data names (ending in Mail, Email, Username) to print after all; never a token", typ: typeStringList, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
			r.NonSensitive = d.strList(v, what)
			for i, name := range r.NonSensitive {
				if IsSecretName(name) {
					d.errorf(v.Content[i], "%s: %s names a token, password or secret, which is always hidden; only personal data (names ending in Mail, Email or Username) can be shown", what, name)
				}
			}
		}},
		"service": {doc: "the service resource stopped while this changes", typ: typeName, decode: str(func(r *Resource, s string) { r.Service = s })},
		"set":     {doc: "values to set: a literal, {env: VAR}, {file: PATH}, or {value: V, type: T} on typed stores", typ: typeSet, decode: (*decoder).set},
		"manager": {doc: "the service manager", typ: typeEnum, enum: func() []string { return KindOf(KindService).ManagerNames() },
			decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
				if r.Manager = d.str(v, what); r.Manager != "" {
					if k := KindOf(r.Kind); k.Manager(r.Manager) == nil {
						d.errorf(v, "unknown manager %q%s (known: %s)", r.Manager, didYouMean(r.Manager, k.ManagerNames()), strings.Join(k.ManagerNames(), ", "))
					}
				}
			}},
		"unit":      {doc: "systemd unit, snap name, launchd label or Windows service name", typ: typeString, decode: str(func(r *Resource, s string) { r.Unit = s })},
		"dir":       {doc: "the s6 service directory", typ: typeString, decode: hostPath(func(r *Resource, s string) { r.Dir = s })},
		"app":       {doc: "the macOS application name", typ: typeString, decode: str(func(r *Resource, s string) { r.App = s })},
		"container": {doc: "the docker manager's container, by name or id", typ: typeString, decode: str(func(r *Resource, s string) { r.Container = s })},
		"start":     {doc: "command that starts the service", typ: typeArgv, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) { r.Start = d.argv(v, what) }},
		"stop":      {doc: "command that stops the service", typ: typeArgv, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) { r.Stop = d.argv(v, what) }},
		"status":    {doc: "command that exits 0 when the service runs", typ: typeArgv, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) { r.Status = d.argv(v, what) }},
		"state": {doc: "the state the service is left in", typ: typeEnum, enum: func() []string { return []string{"running", "stopped"} },
			decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
				if r.State = d.str(v, what); r.State != "running" && r.State != "stopped" {
					d.errorf(v, "%s must be running or stopped, not %q", what, r.State)
				}
			}},
		"timeout": {doc: "bound on a stop, start or wait, such as 60s", typ: typeDuration, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) { r.Timeout = d.duration(v, what) }},
		"token": {doc: "the claim token, from {env: VAR} or {file: PATH}", typ: typeSecret, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
			r.Token = d.source(v, what)
			if r.Token.HasLiteral {
				d.errorf(v, "%s must come from {env: VAR} or {file: PATH}: a claim token is a secret and expires in minutes, so it never belongs in a plan file", what)
			}
		}},
		"url":          {doc: "the server's URL", typ: typeURL, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) { r.URL = d.url(v, what) }},
		"exchange_url": {doc: "the claim exchange's base URL", typ: typeURL, decode: func(d *decoder, r *Resource, v *yaml.Node, what string) { r.ExchangeURL = d.url(v, what) }},
		"method": {doc: "local (through the server) or exchange (through plex.tv, then write the token)", typ: typeEnum, enum: func() []string { return []string{"local", "exchange"} },
			decode: func(d *decoder, r *Resource, v *yaml.Node, what string) {
				if r.Method = d.str(v, what); r.Method != "local" && r.Method != "exchange" {
					d.errorf(v, "%s must be local (claim through the server) or exchange (through plex.tv, then write the token), not %q", what, r.Method)
				}
			}},
		"preferences": {doc: "the store resource the exchanged token is written into", typ: typeName, decode: str(func(r *Resource, s string) { r.Preferences = s })},
	}
}

func (d *decoder) when(r *Resource, v *yaml.Node, what string) {
	d.fields(v, what, func(key string, k, v *yaml.Node) {
		if key != "os" {
			d.errorf(k, "unknown field %q in when (allowed: os)", key)
			return
		}
		r.When.OS = d.strList(v, what+".os")
		for i, os := range r.When.OS {
			if !slices.Contains(KnownOS, os) {
				d.errorf(v.Content[i], "unknown os %q (known: %s)", os, strings.Join(KnownOS, ", "))
			}
		}
	})
}

func (d *decoder) set(r *Resource, v *yaml.Node, what string) {
	k := KindOf(r.Kind)
	d.fields(v, what, func(name string, kn, v *yaml.Node) {
		src := d.source(v, what+"."+name)
		if allowed := k.SetTypes(); src.Type != "" && !slices.Contains(allowed, src.Type) {
			if len(allowed) == 0 {
				d.errorf(v, "%s.%s: %s values are text and take no type:", what, name, r.Kind)
			} else {
				d.errorf(v, "%s.%s: type %q is not a %s type (use one of %s, or none for text)", what, name, src.Type, r.Kind, strings.Join(allowed, ", "))
			}
		}
		if src.HasLiteral && src.Type != "" {
			if err := checkTyped(k, src); err != nil {
				d.errorf(v, "%s.%s: %v", what, name, err)
			}
		}
		if src.HasLiteral && src.Type == "" {
			if err := k.checkText(src.Literal); err != nil {
				d.errorf(v, "%s.%s: %v", what, name, err)
			}
		}
		r.Set = append(r.Set, &Setting{Name: name, Pos: pos(kn), Source: src})
	})
}
