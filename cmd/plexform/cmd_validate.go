package main

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/views"
)

// validateOptions are the flags of `plexform validate`.
type validateOptions struct {
	file   string
	asJSON bool
}

func (o *validateOptions) flags(fs *cmdFlags) {
	fs.StringVar(&o.file, "f", defaultPlanFile, "plan file")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON document (valid, errors, warnings) for editors and CI")
}

// run checks the plan file alone: syntax, fields, kinds, names, references.
// It reads nothing on the host, so it runs anywhere, such as in a repo's CI.
func (o *validateOptions) run(env *cliEnv, _ *cmdFlags, _ []string) int {
	p, err := loadPlan(o.file)
	if o.asJSON {
		return validateJSON(env, o.file, p, err)
	}
	if err != nil {
		return fail(env, err)
	}
	st := styleFor(env, env.stdout)
	for _, w := range p.Warnings {
		fmt.Fprintf(env.stdout, "%s %s\n", views.Warning(st), w)
	}
	fmt.Fprintf(env.stdout, "Success! %s is a valid plan (%s, %s).\n", o.file, count(len(p.Resources), "resource"), count(len(p.Verify), "verify check"))
	return exitOK
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

// validateJSON prints the result as one JSON document on stdout, and nothing on stderr;
// the exit code is 1 when the plan is not valid, as without -json.
func validateJSON(env *cliEnv, file string, p *plan.Plan, err error) int {
	out := ValidateJSON{FormatVersion: "1.0", Valid: err == nil, Errors: diagnostics(file, err), Warnings: []Diagnostic{}}
	if p != nil {
		for _, w := range p.Warnings {
			out.Warnings = append(out.Warnings, diagnostic(file, &plan.Error{File: w.File, Pos: w.Pos, Msg: w.Msg}))
		}
	}
	if werr := views.WriteJSON(env.stdout, out); werr != nil {
		return fail(env, werr)
	}
	if err != nil {
		return exitError
	}
	return exitOK
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

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
