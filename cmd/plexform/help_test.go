//go:build unix

package main

import (
	"strings"
	"testing"
)

// TestEveryCommandHasHelp keeps `help CMD` a paragraph and an example for every command,
// one added later included.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		if _, ok := commandHelp[c.name]; !ok {
			t.Errorf("command %s has no entry in commandHelp (help.go)", c.name)
		}
	}
	for name := range commandHelp {
		found := false
		for _, c := range commands {
			found = found || c.name == name
		}
		if !found {
			t.Errorf("commandHelp has %s, which is no command", name)
		}
	}
}

// TestCompletionFlagsAreTheCommandsFlags: completion reads flags from the help, whose
// paragraph may start a line with a flag ("-detailed-exitcode it exits 2"); it offers
// only flags the command takes, each as bool or taking a value as defined.
func TestCompletionFlagsAreTheCommandsFlags(t *testing.T) {
	env := &cliEnv{getenv: func(string) (string, bool) { return "", false }}
	for _, c := range commands {
		flags, ok := commandFlags(env, c.name)
		if _, noColor := flags["no-color"]; !ok || !noColor {
			t.Errorf("%s: -no-color, which every command takes, not read: %v", c.name, flags)
		}
		for name := range flags {
			// With -h the command only parses its flags; one it does not take is an error
			// (on stdout, where run sends asked-for help).
			if _, stdout, _ := runCLI(c.name, "-"+name+"=x", "-h"); strings.Contains(stdout, "has no flag") {
				t.Errorf("%s: completion offers -%s, which it does not take", c.name, name)
			}
		}
	}
	if flags, _ := commandFlags(env, "plan"); flags["detailed-exitcode"] || !flags["f"] {
		t.Errorf("plan: -detailed-exitcode read as taking a value, or -f as not: %v", flags)
	}
}
