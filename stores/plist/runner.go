package plist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/plexform/plexform/internal/childenv"
)

// Runner runs a command and returns what it printed on standard output. Domain uses it
// for defaults, so tests can check the exact command lines without macOS.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// ExecRunner runs commands for real.
type ExecRunner struct{}

// Run runs name with args in the environment childenv allows. A failure reports the exit status and standard error, but
// not the arguments: they may carry a value being set.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	childenv.Apply(cmd) // no plan secret from {env:} reaches defaults
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return nil, fmt.Errorf("%s %s: exit status %d: %s", name, firstArg(args), exit.ExitCode(),
			strings.TrimSpace(stderr.String()))
	}
	return nil, fmt.Errorf("%s %s: %w", name, firstArg(args), err)
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
