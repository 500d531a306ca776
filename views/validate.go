package views

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
)

// Validate is validate's view: the plan file checked alone, p and err as plan.Load
// returned them.
type Validate interface {
	// Result says whether file is a valid plan; valid is false when err is not nil, and
	// werr is a failed write of the JSON document.
	Result(file string, p *plan.Plan, err error) (valid bool, werr error)
}

// NewValidate is validate's view of kind.
func NewValidate(kind Kind, s Streams) Validate {
	if kind == KindJSON {
		return jsonValidate{s}
	}
	return humanValidate{s}
}

type humanValidate struct{ Streams }

// Result prints the warnings and the success line, or the plan's errors on stderr as
// every command prints an error.
func (h humanValidate) Result(file string, p *plan.Plan, err error) (bool, error) {
	if err != nil {
		fmt.Fprint(h.Stderr, Error(h.ErrStyle)+" "+redact.PrintableLines(err.Error()+"\n"))
		return false, nil
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(h.Stdout, "%s %s\n", Warning(h.Style), w)
	}
	fmt.Fprintf(h.Stdout, "Success! %s is a valid plan (%s, %s).\n", file, count(len(p.Resources), "resource"), count(len(p.Verify), "verify check"))
	return true, nil
}

type jsonValidate struct{ Streams }

// Result prints one JSON document on stdout, and nothing on stderr; the plan is not
// valid when err is not nil, as without -json.
func (j jsonValidate) Result(file string, p *plan.Plan, err error) (bool, error) {
	out := ValidateJSON{FormatVersion: "1.0", Valid: err == nil, Errors: diagnostics(file, err), Warnings: []Diagnostic{}}
	if p != nil {
		for _, w := range p.Warnings {
			out.Warnings = append(out.Warnings, diagnostic(file, &plan.Error{File: w.File, Pos: w.Pos, Msg: w.Msg}))
		}
	}
	if werr := WriteJSON(j.Stdout, out); werr != nil {
		return false, werr
	}
	return err == nil, nil
}

// ValidateJSON is what `validate -json` prints: a stable shape for editors and CI, like
// `terraform validate -json`'s diagnostics (README "validate -json"). errors and
// warnings are always lists, empty when there are none.
type ValidateJSON struct {
	FormatVersion string       `json:"format_version"`
	Valid         bool         `json:"valid"`
	Errors        []Diagnostic `json:"errors"`
	Warnings      []Diagnostic `json:"warnings"`
}

// Diagnostic is one problem at its place; line and column count from 1, and are 0 when
// the problem has no place in the file (it cannot be read, say).
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// diagnostics lists err's problems, each gathered one on its own.
func diagnostics(file string, err error) []Diagnostic {
	out := []Diagnostic{}
	if err == nil {
		return out
	}
	var many *multierror.Error
	if errors.As(err, &many) {
		for _, e := range many.Errors {
			out = append(out, diagnostics(file, e)...)
		}
		return out
	}
	var pe *plan.Error
	if errors.As(err, &pe) {
		return append(out, diagnostic(file, pe))
	}
	return append(out, Diagnostic{File: file, Message: err.Error()})
}

func diagnostic(file string, e *plan.Error) Diagnostic {
	if e.File != "" {
		file = e.File
	}
	return Diagnostic{File: file, Line: e.Pos.Line, Column: e.Pos.Column, Message: e.Msg}
}

// count is n and its noun, plural unless n is 1: "1 resource", "3 verify checks".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
