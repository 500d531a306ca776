// Command plexform is configuration as code for Plex Media Server's stored sign-in:
// `plan` shows what would change on this host, `apply` makes it so, with backups and
// rollback. The commands are one table (commands.go); each lives in its own cmd_<name>.go.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/plexform/plexform/internal/suggest"
	// The kinds of resource a plan may name register themselves with plan.
	_ "github.com/plexform/plexform/kinds"
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

// command is one entry of the table of commands (commands.go).
type command struct {
	name string
	// summary is its line in `plexform help`; a command without one is hidden, for
	// plexform's own use: not listed, offered or suggested.
	summary string
	// usage follows "plexform NAME" in its usage line; help is what `help NAME` says.
	usage, help string
	// options makes a fresh options struct for one run; noArgs says the command takes
	// no positional arguments.
	options func() options
	noArgs  bool
	// subcommands, when given, are the command's own commands ("schedule install"), each
	// an options struct and its run; the first argument picks one.
	subcommands []command
	// raw runs a command that reads its arguments itself (the hidden ones).
	raw func(env *cliEnv, args []string) int
}

// options are a command's flags, as the fields of a struct, and its run.
type options interface {
	// flags defines the command's flags on fs, each setting a field.
	flags(fs *cmdFlags)
	// run runs the command with the arguments its flags left.
	run(env *cliEnv, fs *cmdFlags, args []string) int
}

func (c *command) hidden() bool { return c.summary == "" }

// exec parses the command's flags into its options and runs it.
func (c *command) exec(env *cliEnv, args []string) int {
	if c.raw != nil {
		return c.raw(env, args)
	}
	if c.subcommands != nil {
		return c.dispatch(env, args)
	}
	fs := newFlags(env, c.name, c.usage)
	o := c.options()
	o.flags(fs)
	var positional []string
	var ok bool
	if c.noArgs {
		ok = parseNoArgs(env, fs, args)
	} else {
		positional, ok = parse(fs, args)
	}
	if !ok {
		return exitError
	}
	return o.run(env, fs, positional)
}

// dispatch runs the subcommand the first argument names; with none, or -h, it prints
// the command's usage.
func (c *command) dispatch(env *cliEnv, args []string) int {
	if len(args) == 0 || isHelpFlag(args[0]) {
		newFlags(env, c.name, c.usage).Usage()
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	names := make([]string, len(c.subcommands))
	for i := range c.subcommands {
		sub := &c.subcommands[i]
		names[i] = strings.TrimPrefix(sub.name, c.name+" ")
		if names[i] == args[0] {
			return sub.exec(env, args[1:])
		}
	}
	last := len(names) - 1
	errorf(env, "plexform %s has no subcommand %q; use %s or %s\nRun `plexform help %s` for their flags.\n", c.name, args[0], strings.Join(names[:last], ", "), names[last], c.name)
	return exitError
}

// lookup finds a command by name, hidden ones included.
func lookup(name string) (*command, bool) {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i], true
		}
	}
	return nil, false
}

// listed are the commands `plexform help` lists.
func listed() []*command {
	var list []*command
	for i := range commands {
		if !commands[i].hidden() {
			list = append(list, &commands[i])
		}
	}
	return list
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
	if c, ok := lookup(args[0]); ok {
		if !c.hidden() && slices.ContainsFunc(args[1:], isHelpFlag) {
			// Asked-for help goes to stdout (so `| less` works) and is no error; the
			// flag package ends -h as one.
			helpEnv := *env
			helpEnv.stderr = env.stdout
			if code := c.exec(&helpEnv, args[1:]); code != exitError {
				return code
			}
			return exitOK
		}
		return c.exec(env, args[1:])
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
	for _, c := range listed() {
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

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: plexform COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range listed() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `plexform help COMMAND` (or `plexform COMMAND -h`) for a command's flags. Every command")
	fmt.Fprintln(w, "takes -no-color (as does NO_COLOR=1). Exit codes: 0 ok, 1 error (nothing changed or")
	fmt.Fprintln(w, "rolled back), 2 changes found (plan -detailed-exitcode), 3 apply failed and rollback incomplete,")
	fmt.Fprintln(w, "4 nothing in the plan applies to this OS (plan -detailed-exitcode), 5 a scheduled run found the")
	fmt.Fprintln(w, "sign-in broken and could not repair it unattended.")
}
