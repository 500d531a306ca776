package plan

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/internal/lazyre"
)

// Error is a problem with the plan file at a place in it; Err, when set, is the
// underlying cause (for errors.Is).
type Error struct {
	File string
	Pos  Pos
	Msg  string
	Err  error
}

// Unwrap gives the cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Column, e.Msg)
}

// Load reads and decodes the plan file at path.
func Load(path string) (*Plan, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	return Decode(path, data)
}

// Decode decodes a plan file strictly: every unknown field, wrong type, unknown kind,
// duplicate name, missing field or dangling reference is reported with its place, all
// of them at once.
func Decode(file string, data []byte) (*Plan, error) {
	if len(kindTable) == 0 {
		return nil, ErrNoKinds
	}
	d := &Decoder{file: file}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		at := yamlErrorPos(err)
		msg := "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")
		// The parser names where it gave up; the place of the problem is more use.
		if found, ok := syntaxErrorPos(data); ok {
			at = found
			msg = "not valid YAML: " + yamlLinePrefix.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")
		}
		for i, line := range strings.Split(string(data), "\n") {
			if indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]; strings.Contains(indent, "\t") {
				msg += fmt.Sprintf("; line %d is indented with a tab, and YAML indents with spaces only", i+1)
				break
			}
		}
		return nil, &Error{File: file, Pos: at, Msg: msg}
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: file, Msg: "the plan file is empty; it needs at least `version: 1` and `resources:`"}
	}
	p := &Plan{File: file, Backups: Backups{Keep: DefaultKeep}}
	d.plan(root.Content[0], p)
	d.validate(p, d.errs == nil)
	if d.errs != nil {
		// In file order, as an editor would walk them.
		sort.SliceStable(d.errs.Errors, func(i, j int) bool { return errPos(d.errs.Errors[i]).before(errPos(d.errs.Errors[j])) })
		d.errs.ErrorFormat = listErrors
		return nil, d.errs
	}
	for _, r := range p.Resources {
		if r.IsStore() {
			for _, w := range append(r.nearMisses(nil), r.identityRemovals()...) {
				w.File = file
				p.Warnings = append(p.Warnings, w)
			}
		}
	}
	return p, nil
}

func errPos(err error) Pos {
	var e *Error
	if errors.As(err, &e) {
		return e.Pos
	}
	return Pos{}
}

func (p Pos) before(q Pos) bool {
	return p.Line < q.Line || (p.Line == q.Line && p.Column < q.Column)
}

func listErrors(errs []error) string {
	if len(errs) == 1 {
		return errs[0].Error()
	}
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return fmt.Sprintf("%d problems in the plan file:\n  %s", len(errs), strings.Join(lines, "\n  "))
}

// Problems formats several errors found at once (go-multierror's ErrorFormat): one as
// itself, more as a counted list. Every layer that gathers errors uses it.
func Problems(errs []error) string {
	if len(errs) == 1 {
		return errs[0].Error()
	}
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = "- " + strings.ReplaceAll(e.Error(), "\n", "\n  ")
	}
	return fmt.Sprintf("%d problems:\n  %s", len(errs), strings.Join(lines, "\n  "))
}

// Gather returns the errors gathered in errs formatted by Problems, or nil.
func Gather(errs *multierror.Error) error {
	if errs == nil || len(errs.Errors) == 0 {
		return nil
	}
	errs.ErrorFormat = Problems
	return errs
}

var (
	yamlLine       = lazyre.New(`line (\d+)`)
	yamlLinePrefix = lazyre.New(`^line \d+: `)
)

func yamlErrorPos(err error) Pos {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Pos{Line: n, Column: 1}
	}
	return Pos{}
}

type Decoder struct {
	file string
	errs *multierror.Error
}

func pos(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

func (d *Decoder) count() int {
	if d.errs == nil {
		return 0
	}
	return len(d.errs.Errors)
}

// onlyOn reports whether a resource's when: keeps it to one OS.
func onlyOn(r *Resource, goos string) bool {
	return len(r.When.OS) == 1 && r.When.OS[0] == goos
}

func (d *Decoder) errorf(n *yaml.Node, format string, args ...any) {
	p := Pos{}
	if n != nil {
		p = pos(n)
	}
	d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// fields walks a mapping node, calling each for every key in order, and reports
// duplicate keys (YAML allows them silently; a plan must not).
func (d *Decoder) fields(n *yaml.Node, what string, each func(key string, k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping (key: value lines), not %s", what, describe(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.errorf(k, "%s: %q is given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		each(k.Value, k, v)
	}
	return true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	return fmt.Sprintf("%s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
}

func (d *Decoder) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, "%s must be a string, not %s", what, describe(n))
		return ""
	}
	// YAML reads 123, 1.5 and true as numbers and booleans; the schema (plexform
	// schema) types these fields as strings, so the decoder does too.
	if n.Tag == "!!int" || n.Tag == "!!float" || n.Tag == "!!bool" {
		d.errorf(n, "%s must be a string, not %s; put it in quotes to mean the text", what, describe(n))
		return ""
	}
	return n.Value
}

func (d *Decoder) integer(n *yaml.Node, what string) int {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, "%s must be a whole number, not %s", what, describe(n))
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		d.errorf(n, "%s: %v", what, err)
	}
	return v
}

func (d *Decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list such as [A, B], not %s", what, describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		out = append(out, d.str(item, what+" item"))
	}
	return out
}

func (d *Decoder) duration(n *yaml.Node, what string) time.Duration {
	s := d.str(n, what)
	if s == "" {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		d.errorf(n, "%s must be a positive duration such as 30s or 2m, not %q", what, s)
	}
	return v
}

func (d *Decoder) plan(n *yaml.Node, p *Plan) {
	var sawVersion, sawResources bool
	d.fields(n, "the plan", func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			sawVersion = true
			if p.Version = d.integer(v, "version"); p.Version != 1 && d.errs == nil {
				d.errorf(v, "version %d is not supported; this plexform reads version 1", p.Version)
			}
		case "description":
			p.Description = d.str(v, "description")
		case "backups":
			d.fields(v, "backups", func(key string, k, v *yaml.Node) {
				switch key {
				case "dir":
					p.Backups.Dir = d.hostPath(v, "backups.dir")
				case "keep":
					before := d.count()
					if p.Backups.Keep = d.integer(v, "backups.keep"); p.Backups.Keep < 1 && d.count() == before {
						d.errorf(v, "backups.keep must be at least 1")
					}
				default:
					d.errorf(k, "unknown field %q in backups (allowed: dir, keep)", key)
				}
			})
		case "resources":
			sawResources = true
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, "resources must be a list of resources (lines starting with `- name:`), not %s", describe(v))
				return
			}
			for _, item := range v.Content {
				if r := d.resource(item); r != nil {
					p.Resources = append(p.Resources, r)
				}
			}
		case "verify":
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, "verify must be a list of checks, not %s", describe(v))
				return
			}
			for _, item := range v.Content {
				if c := d.verify(item); c != nil {
					p.Verify = append(p.Verify, c)
				}
			}
		default:
			d.errorf(k, "unknown field %q at the top of the plan (allowed: version, description, backups, resources, verify)", key)
		}
	})
	if !sawVersion {
		d.errorf(n, "the plan has no `version:`; add `version: 1` at the top")
	}
	if !sawResources {
		d.errorf(n, "the plan has no `resources:` list")
	}
}

var nameRE = lazyre.New(`^[a-z0-9_-]+$`)

// ValidName reports whether s can name a resource: [a-z0-9_-]+, at most MaxNameLen.
func ValidName(s string) bool { return len(s) <= MaxNameLen && nameRE.MatchString(s) }

func (d *Decoder) resource(n *yaml.Node) *Resource {
	r := &Resource{Pos: pos(n), fieldPos: map[string]Pos{}}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "a resource must be a mapping with name: and kind:, not %s", describe(n))
		return nil
	}
	// The kind decides which fields are allowed, so find it first.
	var spec *Kind
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			r.Kind = d.str(n.Content[i+1], "kind")
			if spec = KindOf(r.Kind); spec == nil && r.Kind != "" {
				d.errorf(n.Content[i+1], "unknown kind %q%s (known kinds: %s)", r.Kind, didYouMean(r.Kind, KindNames()), strings.Join(KindNames(), ", "))
				return nil
			}
		}
	}
	if r.Kind == "" {
		d.errorf(n, "this resource has no kind: (known kinds: %s)", strings.Join(KindNames(), ", "))
		return nil
	}
	if spec.NewSpec != nil {
		r.Spec = spec.NewSpec()
	}
	d.fields(n, "resource", func(key string, k, v *yaml.Node) {
		if !spec.allows(key) {
			d.errorf(k, "unknown field %q for kind %s%s (allowed: %s)", key, r.Kind, didYouMean(key, spec.allFields()), spec.allowed())
			return
		}
		r.fieldPos[key] = pos(k)
		what := key
		if r.Name != "" {
			what = r.Name + "." + key
		}
		f := spec.field(key)
		if f == nil {
			// A manager registered after its kind may read a field no kind decodes.
			d.errorf(k, "field %q of kind %s cannot be read by this build of plexform", key, r.Kind)
			return
		}
		f.Decode(d, r, v, what)
	})
	if r.Name == "" {
		d.errorf(n, "this %s resource has no name:", r.Kind)
	}
	for _, f := range r.Missing(spec.Required) {
		d.errorf(n, "resource %q (%s) needs %s:", r.Name, r.Kind, f)
	}
	if len(spec.OneOf) > 0 {
		given := 0
		for _, f := range spec.OneOf {
			if _, ok := r.fieldPos[f]; ok {
				given++
			}
		}
		if given != 1 {
			d.errorf(n, "resource %q (%s) needs exactly one of %s:", r.Name, r.Kind, strings.Join(spec.OneOf, ": or "))
		}
	}
	// A kind or field that works on one OS only must be kept there by when:, so the
	// plan validates anywhere (a provisioning repo's CI) and never runs where it cannot.
	if o := spec.OS; o != nil && !onlyOn(r, o.OS) {
		d.errorf(n, "resource %q is a %s store, which %s; add when: {os: [%s]}%s", r.Name, r.Kind, o.Why, o.OS, o.Or)
	}
	for _, f := range sortedKeys(spec.FieldOS) {
		if _, given := r.fieldPos[f]; given && !onlyOn(r, spec.FieldOS[f].OS) {
			o := spec.FieldOS[f]
			d.errorf(n, "resource %q uses %s:, which %s; add when: {os: [%s]}%s", r.Name, f, o.Why, o.OS, o.Or)
		}
	}
	if spec.Finish != nil {
		spec.Finish(d, r)
	}
	if r.IsService() && r.State == "" {
		r.State = "running"
	}
	return r
}

// Missing returns the fields of fields the resource does not give.
func (r *Resource) Missing(fields []string) []string {
	var out []string
	for _, f := range fields {
		if _, ok := r.fieldPos[f]; !ok {
			out = append(out, f)
		}
	}
	return out
}

func (d *Decoder) url(n *yaml.Node, what string) string {
	u := d.str(n, what)
	if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		d.errorf(n, "%s must start with http:// or https://", what)
	}
	return strings.TrimSuffix(u, "/")
}

func (d *Decoder) argv(n *yaml.Node, what string) []string {
	argv := d.strList(n, what)
	if n.Kind == yaml.SequenceNode && len(argv) == 0 {
		d.errorf(n, "%s must name a command: a list such as [systemctl, start, plexmediaserver]", what)
	}
	return argv
}

// source decodes one `set` value: a plain scalar, or a mapping with exactly one of
// value/env/file and an optional type.
func (d *Decoder) source(n *yaml.Node, what string) Source {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			d.errorf(n, "%s has no value; to remove it, list it under absent: instead", what)
		}
		return Source{Literal: n.Value, HasLiteral: true}
	}
	var s Source
	given := 0
	d.fields(n, what, func(key string, k, v *yaml.Node) {
		switch key {
		case "value":
			given++
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				d.errorf(v, "%s.value must be a single value, not %s", what, describe(v))
			}
			s.Literal, s.HasLiteral = v.Value, true
		case "env":
			given++
			s.Env = d.str(v, what+".env")
		case "file":
			given++
			s.File = d.hostPath(v, what+".file")
		case "type":
			s.Type = d.str(v, what+".type")
		default:
			d.errorf(k, "unknown field %q in %s (allowed: value, env, file, type)", key, what)
		}
	})
	if n.Kind == yaml.MappingNode && given != 1 {
		d.errorf(n, "%s needs exactly one of value:, env: or file:", what)
	}
	return s
}

func (d *Decoder) verify(n *yaml.Node) *Verify {
	c := &Verify{Pos: pos(n)}
	d.fields(n, "a verify check", func(key string, k, v *yaml.Node) {
		switch key {
		case "http":
			h := &HTTPCheck{Status: 200, Timeout: 60 * time.Second}
			d.fields(v, "verify http", func(key string, k, v *yaml.Node) {
				switch key {
				case "url":
					h.URL = d.url(v, "http.url")
				case "status":
					h.Status = d.integer(v, "http.status")
				case "contains":
					h.Contains = d.str(v, "http.contains")
				case "timeout":
					h.Timeout = d.duration(v, "http.timeout")
				default:
					d.errorf(k, "unknown field %q in http (allowed: url, status, contains, timeout)", key)
				}
			})
			if h.URL == "" {
				d.errorf(v, "verify http needs url:")
			}
			c.HTTP = h
		case "log":
			l := &LogCheck{}
			d.fields(v, "verify log", func(key string, k, v *yaml.Node) {
				switch key {
				case "path":
					l.Path = d.hostPath(v, "log.path")
				case "must_not_match":
					for i, s := range d.strList(v, "log.must_not_match") {
						re, err := regexp.Compile(s)
						if err != nil {
							d.errorf(v.Content[i], "log.must_not_match: %q is not a regular expression: %v", s, err)
							continue
						}
						l.MustNotMatch = append(l.MustNotMatch, re)
					}
				default:
					d.errorf(k, "unknown field %q in log (allowed: path, must_not_match)", key)
				}
			})
			if l.Path == "" || len(l.MustNotMatch) == 0 {
				d.errorf(v, "verify log needs path: and must_not_match: [patterns]")
			}
			c.Log = l
		default:
			d.errorf(k, "unknown check %q (known: http, log)", key)
		}
	})
	if c.HTTP == nil && c.Log == nil {
		if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
			d.errorf(n, "a verify check needs http: or log:")
		}
		return nil
	}
	return c
}

// validate checks what spans resources: unique names, references, overlaps.
// checkContent is false when decoding already failed: a resource whose fields were
// misspelt would otherwise also be told it "states nothing".
func (d *Decoder) validate(p *Plan, checkContent bool) {
	byName := map[string]*Resource{}
	for _, r := range p.Resources {
		if prev, ok := byName[r.Name]; ok {
			d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.Pos,
				Msg: fmt.Sprintf("resource name %q is already used at line %d; names must be unique", r.Name, prev.Pos.Line)})
			continue
		}
		byName[r.Name] = r
	}
	for _, r := range p.Resources {
		if k := KindOf(r.Kind); k.Link != nil {
			k.Link(d, p, r, byName)
		}
	}
	kept := map[string]bool{}
	for _, r := range p.Resources {
		if k := KindOf(r.Kind); k.Keeps != nil {
			if store := k.Keeps(r); store != "" {
				kept[store] = true
			}
		}
	}
	for _, r := range p.Resources {
		if k := KindOf(r.Kind); k.Validate != nil {
			k.Validate(d, p, r, byName)
		}
		if !r.IsStore() {
			continue
		}
		if checkContent && len(r.Absent) == 0 && len(r.Set) == 0 && !kept[r.Name] {
			d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.Pos,
				Msg: fmt.Sprintf("resource %q states nothing: give it absent: or set:", r.Name)})
		}
		for _, s := range r.Set {
			for _, a := range r.Absent {
				if strings.EqualFold(a, s.Name) {
					d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: s.Pos,
						Msg: fmt.Sprintf("%s is both under absent: and set: in resource %q; keep one", s.Name, r.Name)})
				}
			}
		}
		if r.Service != "" {
			d.checkRef(p, r, "service", r.Service, byName, (*Resource).IsService, "a service")
		}
	}
}

// checkRef reports a field that names no resource, or one of the wrong sort.
func (d *Decoder) checkRef(p *Plan, r *Resource, field, target string, byName map[string]*Resource, ok func(*Resource) bool, sort string) {
	ref, found := byName[target]
	switch {
	case !found && field == "service":
		d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.fieldPos[field],
			Msg: fmt.Sprintf("resource %q names service %q, but there is no resource of that name; services: %s", r.Name, target, strings.Join(serviceNames(p), ", "))})
	case !found:
		d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.fieldPos[field],
			Msg: fmt.Sprintf("resource %q names %s %q, but there is no resource of that name", r.Name, field, target)})
	case !ok(ref):
		d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: r.fieldPos[field],
			Msg: fmt.Sprintf("resource %q names %q as its %s, but that is a %s, not %s", r.Name, target, field, ref.Kind, sort)})
	}
}

func serviceNames(p *Plan) []string {
	names := []string{}
	for _, r := range p.Resources {
		if r.IsService() {
			names = append(names, r.Name)
		}
	}
	if len(names) == 0 {
		return []string{"(none; add a resource with kind: service or plex_service)"}
	}
	return names
}
