package main

import (
	"fmt"

	"github.com/plexform/plexform/internal/render"
)

// runValidate checks the plan file alone: syntax, fields, kinds, names, references.
// It reads nothing on the host, so it runs anywhere, such as in a repo's CI.
func runValidate(env *cliEnv, args []string) int {
	fs := newFlags(env, "validate", "[-f FILE]")
	file := fs.String("f", defaultPlanFile, "plan file")
	if !parseNoArgs(env, fs, args) {
		return exitError
	}
	p, err := loadPlan(*file)
	if err != nil {
		return fail(env, err)
	}
	st := styleFor(env, env.stdout)
	for _, w := range p.Warnings {
		fmt.Fprintf(env.stdout, "%s %s\n", render.Warning(st), w)
	}
	fmt.Fprintf(env.stdout, "Success! %s is a valid plan (%s, %s).\n", *file, count(len(p.Resources), "resource"), count(len(p.Verify), "verify check"))
	return exitOK
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
