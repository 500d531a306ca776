package main

import "github.com/plexform/plexform/views"

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
	valid, werr := views.NewValidate(views.KindFor(o.asJSON), streams(env)).Result(o.file, p, err)
	if werr != nil {
		return fail(env, werr)
	}
	if !valid {
		return exitError
	}
	return exitOK
}
