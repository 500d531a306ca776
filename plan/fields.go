package plan

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldType is the shape of a resource field's value, for the schema; the field's
// Decode is what enforces it.
type FieldType int

// The shapes of fields.
const (
	FieldString     FieldType = iota
	FieldName                 // a resource name: [a-z0-9_-]+
	FieldStringList           // [A, B]
	FieldArgv                 // a non-empty list of strings: a command
	FieldDuration             // 30s, 2m
	FieldURL                  // http:// or https://
	FieldEnum                 // one of Field.Enum()
	FieldSet                  // name: value or name: {value|env|file, type}
	FieldSecret               // {env: VAR} or {file: PATH}, never a literal
	FieldWhen                 // {os: [...]}
	FieldBool                 // true or false
)

// Field is one resource field: its doc and shape (for the schema) and how it is
// decoded into a Resource (or its kind's Spec). Kinds name the fields they take
// (Kind.Fields) and bring their own (Kind.Own).
type Field struct {
	Doc  string
	Type FieldType
	Enum func() []string
	// Schema, when set, is the field's JSON Schema in place of the one Type gives
	// (Doc is added to it).
	Schema func() map[string]any
	Decode func(d *Decoder, r *Resource, v *yaml.Node, what string)
}

// fieldTable holds the shared fields: those every kind has (name, kind, when), a store's
// (absent, set, sensitive, nonsensitive, service) and a service's (state, timeout).
var fieldTable map[string]*Field

func init() {
	fieldTable = map[string]*Field{
		"name": {Doc: "unique name of the resource", Type: FieldName, Decode: func(d *Decoder, r *Resource, v *yaml.Node, what string) {
			switch r.Name = d.str(v, "name"); {
			case r.Name != "" && !nameRE.MatchString(r.Name):
				d.errorf(v, "resource name %q may use only a-z, 0-9, _ and -", r.Name)
			case len(r.Name) > MaxNameLen:
				d.errorf(v, "resource name %.20q… is %d characters long; at most %d (it names the resource's backups)", r.Name, len(r.Name), MaxNameLen)
			}
		}},
		"kind": {Doc: "what the resource is", Type: FieldEnum, Enum: KindNames,
			Decode: func(*Decoder, *Resource, *yaml.Node, string) {}}, // read first, by resource
		"when": {Doc: "the systems the resource applies to", Type: FieldWhen, Decode: (*Decoder).when},
		"absent": {Doc: "names of values to remove (any case)", Type: FieldStringList, Decode: func(d *Decoder, r *Resource, v *yaml.Node, what string) {
			r.Absent = d.strList(v, what)
			if v.Kind == yaml.SequenceNode {
				for _, item := range v.Content {
					r.absentPos = append(r.absentPos, pos(item))
				}
			}
		}},
		"sensitive": {Doc: "names of values never to print", Type: FieldStringList, Decode: func(d *Decoder, r *Resource, v *yaml.Node, what string) { r.Sensitive = d.strList(v, what) }},
		"nonsensitive": {Doc: "personal-data names (ending in Mail, Email, Username) to print after all; never a token", Type: FieldStringList, Decode: func(d *Decoder, r *Resource, v *yaml.Node, what string) {
			r.NonSensitive = d.strList(v, what)
			for i, name := range r.NonSensitive {
				if IsSecretName(name) {
					d.errorf(v.Content[i], "%s: %s names a token, password or secret, which is always hidden; only personal data (names ending in Mail, Email or Username) can be shown", what, name)
				}
			}
		}},
		"service": {Doc: "the service resource stopped while this changes", Type: FieldName, Decode: func(d *Decoder, r *Resource, v *yaml.Node, what string) { r.Service = d.str(v, what) }},
		"set":     {Doc: "values to set: a literal, {env: VAR}, {file: PATH}, or {value: V, type: T} on typed stores", Type: FieldSet, Decode: (*Decoder).set},
		"state": {Doc: StateDoc, Type: FieldEnum, Enum: func() []string { return []string{"running", "stopped"} },
			Decode: func(d *Decoder, r *Resource, v *yaml.Node, what string) {
				if r.State = d.str(v, what); r.State != "running" && r.State != "stopped" {
					d.errorf(v, "%s must be running or stopped, not %q", what, r.State)
				}
			}},
		"timeout": {Doc: "bound on a stop, start or wait, such as 60s", Type: FieldDuration, Decode: func(d *Decoder, r *Resource, v *yaml.Node, what string) { r.Timeout = d.duration(v, what) }},
	}
}

// StateDoc is the doc of the shared state: field; plex_signin's own state: keeps it, so
// the schema reads the same.
const StateDoc = "the state the service is left in"

func (d *Decoder) when(r *Resource, v *yaml.Node, what string) {
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

func (d *Decoder) set(r *Resource, v *yaml.Node, what string) {
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
