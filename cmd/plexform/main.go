// Command plexform is configuration as code for Plex Media Server's stored sign-in:
// `plan` shows what would change on this host, `apply` makes it so, with backups and
// rollback. Each command lives in its own cmd_<name>.go.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/plexform/plexform/internal/suggest"
)

// Exit codes (README "Exit codes").
const (
	exitOK         = 0
	exitError      = 1 // nothing changed, or fully rolled back
	exitChanges    = 2 // plan -detailed-exitcode found changes
	exitIncomplete = 3 // apply failed and the rollback is incomplete
	// exitNothingApplies: plan -detailed-exitcode found every resource is for another
	// OS (when:), so it checked nothing.
	exitNothingApplies = 4
	// exitSigninNeedsPerson (5, cmd_schedule.go): a scheduled run found the sign-in
	// broken and could not repair it unattended.
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(env *cliEnv, args []string) int
}

var commands = []command{
	{"plan", "show what apply would change on this host; change nothing", runPlan},
	{"apply", "make the host match the plan (backups, rollback on failure)", runApply},
	{"show", "print a saved plan", runShow},
	{"validate", "check the plan file only", runValidate},
	{"schema", "print the JSON Schema of plan files", runSchema},
	{"backups", "list the backups kept", runBackups},
	{"restore", "put a backup back", runRestore},
	{"recover", "undo an apply that was cut short (killed, a power cut)", runRecover},
}

// cliEnv is what a command talks to, so tests can run commands in-process.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	// noColor is -no-color, which every command takes (newFlags).
	noColor bool
	// argv0 is how the process was started (os.Args[0]): Ansible starts the module as
	// AnsiballZ_<name> (ansibleArgsPath).
	argv0 string
	// scheduled is set for an apply a schedule started (apply -schedule NAME).
	scheduled *scheduledRun
}

func main() {
	os.Exit(run(os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv, argv0: os.Args[0]}))
}

func run(args []string, env *cliEnv) (code int) {
	// A panic would exit 2, which means "changes pending" to scripts: crashed makes it
	// an error (1) with a line that says so. An apply's own panics are rolled back
	// inside the executor before they get here.
	defer crashed(env, &code)
	if len(args) == 0 {
		usage(env.stdout)
		return exitError
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(env.stdout)
		return exitOK
	case "help":
		// `plexform help CMD` is `plexform CMD -h`.
		if len(args) == 1 {
			usage(env.stdout)
			return exitOK
		}
		return run([]string{args[1], "-h"}, env)
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		if slices.ContainsFunc(args[1:], isHelpFlag) {
			// Asked-for help goes to stdout (so `| less` works) and is no error; the
			// flag package ends -h as one.
			helpEnv := *env
			helpEnv.stderr = env.stdout
			if code := c.run(&helpEnv, args[1:]); code != exitError {
				return code
			}
			return exitOK
		}
		return c.run(env, args[1:])
	}
	if hidden, ok := hiddenCommands[args[0]]; ok {
		return hidden(env, args[1:])
	}
	// Ansible runs a binary module as AnsiballZ_<name> with one argument, the path of
	// its JSON args file (cmd_ansible.go).
	if argsFile, ok := ansibleArgsPath(env.argv0, args); ok {
		return runAnsible(env, argsFile)
	}
	errorf(env, "%s\n", unknownCommand(args[0]))
	return exitError
}

// unknownCommand says a command is not one, with the one most likely meant ("pln").
func unknownCommand(name string) string {
	known := []string{"help", "-help", "-version"}
	for _, c := range commands {
		known = append(known, c.name)
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if strings.HasPrefix(name, "-") {
		msg = fmt.Sprintf("unknown flag %s before a command", name)
	}
	if s := suggest.Closest(name, known, suggestEdits(name)); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg + "\nRun `plexform help` for the list of commands."
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// hiddenCommands are for plexform's own use (the demo re-executes itself).
var hiddenCommands = map[string]func(env *cliEnv, args []string) int{}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: plexform COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `plexform help COMMAND` (or `plexform COMMAND -h`) for a command's flags. Every command")
	fmt.Fprintln(w, "takes -no-color (as does NO_COLOR=1). Exit codes: 0 ok, 1 error (nothing changed or")
	fmt.Fprintln(w, "rolled back), 2 changes found (plan -detailed-exitcode), 3 apply failed and rollback incomplete,")
	fmt.Fprintln(w, "4 nothing in the plan applies to this OS (plan -detailed-exitcode), 5 a scheduled run found the")
	fmt.Fprintln(w, "sign-in broken and could not repair it unattended.")
}
