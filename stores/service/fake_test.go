package service

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// fakeRunner records command lines and answers them from a script keyed by the
// command line; unknown commands succeed with no output.
type fakeRunner struct {
	mu      sync.Mutex
	calls   []string
	answers map[string]fakeAnswer
}

type fakeAnswer struct {
	out string
	err error
}

func (f *fakeRunner) Run(_ context.Context, argv []string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := strings.Join(argv, " ")
	f.calls = append(f.calls, line)
	a := f.answers[line]
	return []byte(a.out), a.err
}

// exit is the error of a command that ran and exited with code.
func exit(argv string, code int, stderr string) error {
	return &CommandError{Argv: strings.Fields(argv), ExitCode: code, Stderr: stderr, Err: fmt.Errorf("exit status %d", code)}
}

// notRun is the error of a command that never ran.
func notRun(argv string) error {
	return &CommandError{Argv: strings.Fields(argv), ExitCode: -1, Err: fmt.Errorf("exec: %q: executable file not found in $PATH", strings.Fields(argv)[0])}
}
