package plan

import (
	"encoding/json"
	"slices"

	"github.com/plexform/plexform/internal/lazyre"
)

// SchemaDialect is the JSON Schema draft the plan schema is written in.
const SchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// SchemaMainURL is where the main branch's schema is published (its committed
// docs/plexform.schema.json): the $id of a development build's schema, and what
// `plexform init` of one names.
const SchemaMainURL = "https://raw.githubusercontent.com/plexform/plexform/main/docs/plexform.schema.json"

// releaseVersion is a version a release may be tagged with (1.2.0, 1.2.0-rc.1, the
// pattern scripts/release.sh accepts); a Go pseudo-version
// (0.0.0-20260101120000-abcdef012345) and a build of a changed tree (+dirty), which Go
// stamps on a build in a checkout, name no tag.
var (
	releaseVersion = lazyre.New(`^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$`)
	notARelease    = lazyre.New(`[0-9]{14}-[0-9a-f]{12}|\+dirty$`)
)

// SchemaAsset is the name the plan schema is published under beside each release's
// archives (scripts/release.sh writes it with the release binary's `plexform schema`).
const SchemaAsset = "plexform.schema.json"

// SchemaURL is the absolute URL of the schema of plexform version: the SchemaAsset of
// the release's GitHub download page, which is the schema that release validates with
// and whose $id is this URL, or SchemaMainURL for a build that is no release
// ("devel"). It is the schema's $id and the URL `plexform init` writes for
// yaml-language-server, which follows GitHub's redirect to the file
// (redhat-developer/yaml-language-server, src/languageservice/services/
// schemaRequestHandler.ts: xhr with followRedirects: 5).
func SchemaURL(version string) string {
	if !releaseVersion.MatchString(version) || notARelease.MatchString(version) {
		return SchemaMainURL
	}
	return "https://github.com/plexform/plexform/releases/download/v" + version + "/" + SchemaAsset
}

// obj is a JSON Schema object; encoding/json writes its keys sorted, so the schema's
// text is the same on every run.
type obj = map[string]any

// Schema is the JSON Schema of a plan file (format version 1), made from the table of
// kinds and the fields the decoder reads, so that it and the decoder cannot drift.
// It checks the shape of a plan; what needs the whole plan (unique names, references
// between resources) or a parser (element and registry key paths, regular expressions,
// typed values) is left to `plexform validate`.
//
// id is its $id, the URL it is published at (SchemaURL).
func Schema(id string) ([]byte, error) {
	if len(kindTable) == 0 {
		return nil, ErrNoKinds
	}
	defs := obj{
		"duration": obj{"type": "string", "pattern": `^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`,
			"description": "a positive duration such as 30s, 2m or 1h30m"},
		"url":  obj{"type": "string", "pattern": "^https?://"},
		"name": obj{"type": "string", "pattern": nameRE.String(), "maxLength": MaxNameLen},
		"when": obj{"type": "object", "additionalProperties": false, "description": fieldTable["when"].Doc,
			"properties": obj{"os": obj{"type": "array", "items": obj{"enum": KnownOS}}}},
		"scalar": obj{"type": []string{"string", "number", "boolean"}},
		"secret": obj{"type": "object", "additionalProperties": false,
			"properties": obj{"env": obj{"type": "string"}, "file": obj{"type": "string"}},
			"oneOf":      []any{obj{"required": []string{"env"}}, obj{"required": []string{"file"}}}},
		"check": checkSchema(),
	}
	var dispatch []any
	for _, name := range KindNames() {
		defs["kind_"+name] = kindSchema(KindOf(name))
		dispatch = append(dispatch, obj{
			"if":   obj{"properties": obj{"kind": obj{"const": name}}, "required": []string{"kind"}},
			"then": obj{"$ref": "#/$defs/kind_" + name},
		})
	}
	defs["resource"] = obj{"type": "object", "required": []string{"name", "kind"},
		"properties": obj{"kind": obj{"enum": KindNames(), "description": fieldTable["kind"].Doc}},
		"allOf":      dispatch}
	s := obj{
		"$schema":              SchemaDialect,
		"$id":                  id,
		"title":                "plexform plan file, version 1",
		"description":          "The desired state of Plex Media Server's stored sign-in; `plexform validate` checks also what a schema cannot (unique names, references, typed values).",
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"version", "resources"},
		"properties": obj{
			"version":     obj{"const": 1, "description": "the plan format; this plexform reads 1"},
			"description": obj{"type": "string"},
			"backups": obj{"type": "object", "additionalProperties": false, "properties": obj{
				"dir":  obj{"type": "string", "description": "where backups go; default: the state dir"},
				"keep": obj{"type": "integer", "minimum": 1, "description": "newest N backups kept per store"},
			}},
			"resources": obj{"type": "array", "items": obj{"$ref": "#/$defs/resource"}},
			"verify":    obj{"type": "array", "items": obj{"$ref": "#/$defs/check"}},
		},
		"$defs": defs,
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// kindSchema is one kind's resource: its fields, required ones, one-of groups, the OS
// its when: must keep it to, and its managers' needs.
func kindSchema(k *Kind) obj {
	props := obj{}
	for _, f := range k.allFields() {
		if k.field(f) != nil { // one no kind decodes is refused by the decoder too
			props[f] = fieldSchema(k, f)
		}
	}
	s := obj{"type": "object", "additionalProperties": false, "description": k.Doc, "properties": props,
		"required": append([]string{"name", "kind"}, k.Required...)}
	var all []any
	if len(k.OneOf) > 0 {
		var one []any
		for _, f := range k.OneOf {
			one = append(one, obj{"required": []string{f}})
		}
		all = append(all, obj{"oneOf": one})
	}
	if k.OS != nil {
		all = append(all, onlyOnSchema(k.OS.OS))
	}
	for _, f := range sortedKeys(k.FieldOS) {
		all = append(all, obj{"if": obj{"required": []string{f}}, "then": onlyOnSchema(k.FieldOS[f].OS)})
	}
	if k.Role == RoleStore {
		// A store must state something (validate: "states nothing"), unless a
		// plex_signin keeps it signed in, which a schema cannot see: such a store names
		// its service, so a store with a service: passes here and validate decides.
		all = append(all, obj{"anyOf": []any{
			obj{"required": []string{"absent"}, "properties": obj{"absent": obj{"minItems": 1}}},
			obj{"required": []string{"set"}, "properties": obj{"set": obj{"minProperties": 1}}},
			obj{"required": []string{"service"}},
		}})
	}
	for _, m := range k.managers() {
		if len(m.Needs) > 0 {
			all = append(all, obj{"if": obj{"properties": obj{"manager": obj{"const": m.Name}}, "required": []string{"manager"}},
				"then": obj{"required": m.Needs}})
		}
	}
	for _, rule := range k.SchemaRules {
		all = append(all, rule)
	}
	if len(all) > 0 {
		s["allOf"] = all
	}
	return s
}

// onlyOnSchema requires when: {os: [goos]}, as the decoder's onlyOn does.
func onlyOnSchema(goos string) obj {
	return obj{"required": []string{"when"}, "properties": obj{"when": obj{"required": []string{"os"},
		"properties": obj{"os": obj{"const": []string{goos}}}}}}
}

// fieldSchema is the schema of one field of a kind, from its Field (own or shared).
func fieldSchema(k *Kind, name string) obj {
	f := k.field(name)
	var s obj
	switch f.Type {
	case FieldString:
		s = obj{"type": "string"}
	case FieldName:
		s = obj{"$ref": "#/$defs/name"}
	case FieldStringList:
		s = obj{"type": "array", "items": obj{"type": "string"}}
	case FieldArgv:
		s = obj{"type": "array", "items": obj{"type": "string"}, "minItems": 1}
	case FieldDuration:
		s = obj{"$ref": "#/$defs/duration"}
	case FieldURL:
		s = obj{"$ref": "#/$defs/url"}
	case FieldEnum:
		s = obj{"enum": f.Enum()}
	case FieldWhen:
		s = obj{"$ref": "#/$defs/when"}
	case FieldSecret:
		s = obj{"$ref": "#/$defs/secret"}
	case FieldSet:
		s = obj{"type": "object", "additionalProperties": valueSchema(k)}
	case FieldBool:
		s = obj{"type": "boolean"}
	}
	if f.Schema != nil {
		s = f.Schema()
	}
	if name == "kind" {
		s = obj{"const": k.Name}
	}
	s["description"] = f.Doc
	return s
}

// valueSchema is one set: value of a kind: a literal, or {value|env|file} with a type
// of the kind's own where it has typed values.
func valueSchema(k *Kind) obj {
	props := obj{"value": obj{"$ref": "#/$defs/scalar"}, "env": obj{"type": "string"}, "file": obj{"type": "string"}}
	if types := k.SetTypes(); len(types) > 0 {
		props["type"] = obj{"enum": slices.Compact(slices.Clone(types))}
	}
	return obj{"anyOf": []any{
		obj{"$ref": "#/$defs/scalar"},
		obj{"type": "object", "additionalProperties": false, "properties": props,
			"oneOf": []any{obj{"required": []string{"value"}}, obj{"required": []string{"env"}}, obj{"required": []string{"file"}}}},
	}}
}

// checkSchema is one verify: check, as decoder.verify reads it.
func checkSchema() obj {
	return obj{"type": "object", "additionalProperties": false, "minProperties": 1, "properties": obj{
		"http": obj{"type": "object", "additionalProperties": false, "required": []string{"url"}, "properties": obj{
			"url":      obj{"$ref": "#/$defs/url"},
			"status":   obj{"type": "integer"},
			"contains": obj{"type": "string"},
			"timeout":  obj{"$ref": "#/$defs/duration"},
		}},
		"log": obj{"type": "object", "additionalProperties": false, "required": []string{"path", "must_not_match"}, "properties": obj{
			"path":           obj{"type": "string"},
			"must_not_match": obj{"type": "array", "items": obj{"type": "string"}, "minItems": 1},
		}},
	}}
}
