// Command plexform is configuration as code for Plex Media Server's stored sign-in:
// `plan` shows what would change on this host, `apply` makes it so, with backups and
// rollback. Each command lives in its own cmd_<name>.go.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// version is the plexform release; saved plans and backups record it.
const version = "0.1.0"

// Exit codes (README "Exit codes").
const (
	exitOK         = 0
	exitError      = 1 // nothing changed, or fully rolled back
	exitChanges    = 2 // plan -detailed-exitcode found changes
	exitIncomplete = 3 // apply failed and the rollback is incomplete
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
}

func main() {
	os.Exit(run(os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv}))
}

func run(args []string, env *cliEnv) (code int) {
	// A panic would exit 2, which means "changes pending" to scripts: crashed makes it
	// an error (1) with a line that says so. An apply's own panics are rolled back
	// inside the executor before they get here.
	defer crashed(env, &code)
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(env.stdout)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	if args[0] == "version" || args[0] == "-version" || args[0] == "--version" {
		fmt.Fprintf(env.stdout, "plexform %s\n", version)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			code := c.run(env, args[1:])
			// The flag package ends -h as an error; asking for help is not one.
			if code == exitError && slices.ContainsFunc(args[1:], isHelpFlag) {
				return exitOK
			}
			return code
		}
	}
	if hidden, ok := hiddenCommands[args[0]]; ok {
		return hidden(env, args[1:])
	}
	fmt.Fprintf(env.stderr, "plexform: unknown command %q\n\n", args[0])
	usage(env.stderr)
	return exitError
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// hiddenCommands are for plexform's own use (the demo re-executes itself).
var hiddenCommands = map[string]func(env *cliEnv, args []string) int{}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: plexform COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `plexform COMMAND -h` for a command's flags. Exit codes: 0 ok, 1 error (nothing changed or")
	fmt.Fprintln(w, "rolled back), 2 changes found (plan -detailed-exitcode), 3 apply failed and rollback incomplete.")
}
