package plan

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-multierror"
	"gopkg.in/yaml.v3"
)

// What a kind's own fields (Kind.Own) and hooks decode and check with: the decoder's
// readers, which report a wrong value at its place in the plan file and go on, so every
// problem of a plan is reported at once.

// Str reads a string (a number or boolean is refused: quote it to mean the text).
func (d *Decoder) Str(n *yaml.Node, what string) string { return d.str(n, what) }

// StrList reads a list of strings.
func (d *Decoder) StrList(n *yaml.Node, what string) []string { return d.strList(n, what) }

// Argv reads a command: a non-empty list of strings.
func (d *Decoder) Argv(n *yaml.Node, what string) []string { return d.argv(n, what) }

// HostPath reads a path of the host, refusing an absolute one that climbs above /.
func (d *Decoder) HostPath(n *yaml.Node, what string) string { return d.hostPath(n, what) }

// Duration reads a positive duration such as 30s.
func (d *Decoder) Duration(n *yaml.Node, what string) time.Duration { return d.duration(n, what) }

// URL reads an http:// or https:// URL, without a trailing /.
func (d *Decoder) URL(n *yaml.Node, what string) string { return d.url(n, what) }

// Bool reads true or false.
func (d *Decoder) Bool(n *yaml.Node, what string) bool { return d.boolean(n, what) }

// Source reads a value: a literal, {env: VAR} or {file: PATH}, with an optional type:.
func (d *Decoder) Source(n *yaml.Node, what string) Source { return d.source(n, what) }

// Fields walks a mapping, calling each for every key in order; it reports a node that
// is no mapping, and keys given twice.
func (d *Decoder) Fields(n *yaml.Node, what string, each func(key string, k, v *yaml.Node)) bool {
	return d.fields(n, what, each)
}

// Errorf reports a problem at a node of the plan file.
func (d *Decoder) Errorf(n *yaml.Node, format string, args ...any) { d.errorf(n, format, args...) }

// ErrorAt reports a problem at a place in the plan file (a resource's Pos, a FieldPos).
func (d *Decoder) ErrorAt(at Pos, format string, args ...any) {
	d.errs = multierror.Append(d.errs, &Error{File: d.file, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

// DidYouMean suggests the known word closest to word, as ", did you mean "x"?", or "".
func DidYouMean(word string, known []string) string { return didYouMean(word, known) }

// CheckRef reports r's field that names no resource (target), or one of the wrong
// sort (ok false; sort says what it should be, "a service").
func (d *Decoder) CheckRef(p *Plan, r *Resource, field, target string, byName map[string]*Resource, ok func(*Resource) bool, sort string) {
	d.checkRef(p, r, field, target, byName, ok, sort)
}

func (d *Decoder) boolean(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, "%s must be true or false, not %s", what, describe(n))
		return false
	}
	return n.Value == "true"
}
