package main

import (
	"slices"
	"strings"
	"testing"
)

// TestACrashExitsOneWithAMessage: a panic in a command is exit 1 (error), never Go's 2
// (which plan -detailed-exitcode means as "changes"), and says what to do.
func TestACrashExitsOneWithAMessage(t *testing.T) {
	table := commands
	t.Cleanup(func() { commands = table })
	commands = append(slices.Clip(table),
		command{name: "crash-for-test", raw: func(_ *cliEnv, args []string) int {
			return []int{}[len(args)] // index out of range: a runtime error
		}},
		command{name: "panic-for-test", raw: func(*cliEnv, []string) int { panic("tok-SECRET-123456") }})

	for _, cmd := range []string{"crash-for-test", "panic-for-test"} {
		var stdout, stderr strings.Builder
		code := run([]string{cmd}, &cliEnv{stdout: &stdout, stderr: &stderr, getenv: func(string) (string, bool) { return "", false }})
		if code != exitError {
			t.Errorf("%s: exit %d, want %d", cmd, code, exitError)
		}
		if !strings.Contains(stderr.String(), "Error: plexform stopped on an internal error") || !strings.Contains(stderr.String(), "plexform recover") {
			t.Errorf("%s: stderr %q", cmd, stderr.String())
		}
		if strings.Contains(stderr.String(), "tok-SECRET") {
			t.Errorf("%s: the panic's value was printed: %q", cmd, stderr.String())
		}
	}
}
