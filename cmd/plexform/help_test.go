package main

import "testing"

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
