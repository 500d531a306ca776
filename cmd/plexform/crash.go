package main

import (
	"fmt"
	"runtime"
)

// crashed turns a panic in a command into exit 1 with a clear message. Go's own exit
// code for a panic is 2, which plan -detailed-exitcode uses for "changes pending", so a
// crash would pass for drift in CI. Only a runtime error's text is printed: a panic's
// value could hold anything, a secret included.
func crashed(env *cliEnv, code *int) {
	r := recover()
	if r == nil {
		return
	}
	what := fmt.Sprintf("a panic of type %T", r)
	if err, ok := r.(runtime.Error); ok {
		what = err.Error()
	}
	errorf(env, "plexform stopped on an internal error (%s); this is a bug, please report it.\n"+
		"If an apply was running, `plexform recover` puts the host back as it was before it.\n", what)
	*code = exitError
}
