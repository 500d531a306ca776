//go:build unix

package main

import (
	"strings"
	"testing"
)

// TestEveryCommandHasHelp keeps `help CMD` a paragraph and an example for every listed
// command, one added later included, and every command in the table runs one way.
func TestEveryCommandHasHelp(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("command %s is in the table twice", c.name)
		}
		seen[c.name] = true
		ways := 0
		for _, has := range []bool{c.options != nil, c.raw != nil, c.subcommands != nil} {
			if has {
				ways++
			}
		}
		if ways != 1 {
			t.Errorf("command %s: want one of options, subcommands or raw", c.name)
		}
		for _, sub := range c.subcommands {
			if sub.options == nil || sub.raw != nil || !strings.HasPrefix(sub.name, c.name+" ") {
				t.Errorf("subcommand %q of %s: want options and a name starting %q", sub.name, c.name, c.name+" ")
			}
		}
		if c.hidden() {
			if c.help != "" || c.options != nil {
				t.Errorf("hidden command %s has help or flags, which no one can see", c.name)
			}
			continue
		}
		if !strings.Contains(c.help, "\nExample:\n  ") || !strings.Contains(c.help, "plexform "+c.name) {
			t.Errorf("command %s has no paragraph and example in its help (commands.go)", c.name)
		}
	}
}

// TestCompletionFlagsAreTheCommandsFlags: completion reads flags from the help, whose
// paragraph may start a line with a flag ("-detailed-exitcode it exits 2"); it offers
// only flags the command takes, each as bool or taking a value as defined.
func TestCompletionFlagsAreTheCommandsFlags(t *testing.T) {
	env := &cliEnv{getenv: func(string) (string, bool) { return "", false }}
	for _, c := range listed() {
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
