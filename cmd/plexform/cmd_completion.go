package main

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"

	"github.com/plexform/plexform/internal/lazyre"
)

// The scripts are thin: each asks `plexform __complete WORDS...` for its candidates, so
// the commands and flags are the ones the binary really has.
//
//go:embed completion/plexform.bash completion/plexform.zsh completion/plexform.fish completion/plexform.ps1
var completionScripts embed.FS

var completionShells = map[string]string{
	"bash": "plexform.bash", "zsh": "plexform.zsh", "fish": "plexform.fish", "powershell": "plexform.ps1",
}

// completionOptions are the flags of `plexform completion`.
type completionOptions struct{}

func (*completionOptions) flags(*cmdFlags) {}

func (*completionOptions) run(env *cliEnv, _ *cmdFlags, positional []string) int {
	if len(positional) != 1 || completionShells[positional[0]] == "" {
		errorf(env, "name one shell: plexform completion bash|zsh|fish|powershell\n")
		return exitError
	}
	script, err := completionScripts.ReadFile("completion/" + completionShells[positional[0]])
	if err != nil {
		return fail(env, err)
	}
	if _, err := env.stdout.Write(script); err != nil {
		return fail(env, err)
	}
	return exitOK
}

// What __complete prints instead of candidates when the shell should complete names
// from the file system itself.
const (
	completePlanFiles = "__plan_files__" // *.yaml, *.yml and directories
	completeFiles     = "__files__"
	completeDirs      = "__dirs__"
)

// runComplete prints the candidates for the last of args (the word being completed,
// maybe empty), one a line, given the words before it.
func runComplete(env *cliEnv, args []string) int {
	for _, c := range completions(env, args) {
		fmt.Fprintln(env.stdout, c)
	}
	return exitOK
}

func completions(env *cliEnv, words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	cur := words[len(words)-1]
	if len(words) == 1 {
		return withPrefix(append(commandNames(), "help"), cur)
	}
	cmd, before := words[0], words[1:len(words)-1]
	switch cmd {
	case "help":
		if len(words) == 2 {
			return withPrefix(commandNames(), cur)
		}
		return nil
	case "completion":
		return withPrefix([]string{"bash", "fish", "powershell", "zsh"}, cur)
	}
	flags, ok := commandFlags(env, cmd)
	if !ok {
		return nil
	}
	if len(before) > 0 {
		if prev := strings.TrimLeft(before[len(before)-1], "-"); strings.HasPrefix(before[len(before)-1], "-") && flags[prev] {
			return flagValue(prev)
		}
	}
	if strings.HasPrefix(cur, "-") {
		var names []string
		for name := range flags {
			names = append(names, "-"+name)
		}
		slices.Sort(names)
		return withPrefix(names, cur)
	}
	switch cmd {
	case "apply", "show", "redact":
		return []string{completeFiles} // a saved plan, a settings file
	case "restore":
		return withPrefix(backupIDs(before), cur)
	}
	return nil
}

// flagValue is what a flag's value is completed with.
func flagValue(name string) []string {
	switch name {
	case "f", "plan-out":
		return []string{completePlanFiles}
	case "root", "dir":
		return []string{completeDirs}
	case "o", "out":
		return []string{completeFiles}
	}
	return nil
}

// backupIDs lists the backups restore can put back, in the backups dir that the words
// already typed (-f, -root, -dir) choose, as `plexform backups` finds it.
func backupIDs(words []string) []string {
	file, root, dir := defaultPlanFile, "", ""
	for i := 0; i < len(words); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(words[i], "-"), "=")
		if !hasValue && i+1 < len(words) {
			value = words[i+1]
		}
		switch name {
		case "f":
			file = value
		case "root":
			root = value
		case "dir":
			dir = value
		}
	}
	b, err := backupsDir(file, root, dir)
	if err != nil {
		return nil
	}
	list, err := b.List()
	if err != nil {
		return nil
	}
	var ids []string
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	return ids
}

func commandNames() []string {
	var names []string
	for _, c := range listed() {
		names = append(names, c.name)
	}
	return names
}

var flagLine = lazyre.New(`(?m)^  -(\S+)( \S+)?`)

// commandFlags reads a command's flags from its own -h output, so completion cannot
// drift from the flags the command defines; the value says whether a flag takes a value.
func commandFlags(env *cliEnv, name string) (map[string]bool, bool) {
	for _, c := range listed() {
		if c.name != name {
			continue
		}
		var help bytes.Buffer
		helpEnv := &cliEnv{stdin: strings.NewReader(""), stdout: &help, stderr: &help, getenv: env.getenv}
		c.exec(helpEnv, []string{"-h"})
		flags := map[string]bool{}
		// Only the flags' list: the paragraph above it may start a line with a flag.
		_, list, _ := strings.Cut(help.String(), "\nFlags:\n")
		for _, m := range flagLine.Regexp().FindAllStringSubmatch(list, -1) {
			flags[m[1]] = m[2] != ""
		}
		return flags, true
	}
	return nil, false
}

func withPrefix(list []string, prefix string) []string {
	var out []string
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}
