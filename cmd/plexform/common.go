package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/term"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/internal/suggest"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/views"
)

const defaultPlanFile = "plexform.yaml"

// cmdFlags is a command's flag set. Every command makes it with newFlags and parses
// with parse, so a wrong flag is reported one way everywhere (flagError), and its help
// is the command's (helpText).
type cmdFlags struct {
	*flag.FlagSet
	env       *cliEnv
	usageLine string
}

// newFlags makes a command's flag set; errors go to stderr and end in exit 1 (run sends
// an asked-for -h to stdout). Every command takes -no-color.
func newFlags(env *cliEnv, name, usageLine string) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print its own message and the usage; parse says what is
	// wrong instead (flagError), and prints the usage only when asked for it.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.BoolVar(&env.noColor, "no-color", env.noColor, "print no colour codes (as NO_COLOR does)")
	return &cmdFlags{FlagSet: fs, env: env, usageLine: usageLine}
}

// Usage prints the command's help: its usage line, what it does, an example, its flags.
func (f *cmdFlags) Usage() {
	w := f.env.stderr
	fmt.Fprintf(w, "Usage: plexform %s %s\n\n", f.Name(), f.usageLine)
	if c, ok := lookup(f.Name()); ok && c.help != "" {
		fmt.Fprintf(w, "%s\n", c.help)
	}
	fmt.Fprintln(w, "Flags:")
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// parse parses flags, allowing them after positional arguments too ("show FILE -json").
func parse(fs *cmdFlags, args []string) ([]string, bool) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.Usage()
			} else {
				errorf(fs.env, "%s\n", flagError(fs, err))
			}
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, true
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// flagError says what is wrong with a command's flags, with the flag the user most
// likely meant when one was mistyped ("-auto-aprove"), and where the flags are listed.
func flagError(fs *cmdFlags, err error) string {
	hint := fmt.Sprintf("\nRun `plexform help %s` for its flags.", fs.Name())
	name, unknown := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !unknown {
		return fmt.Sprintf("plexform %s: %s%s", fs.Name(), err, hint)
	}
	var known []string
	fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
	msg := fmt.Sprintf("plexform %s has no flag -%s", fs.Name(), name)
	if s := suggest.Closest(name, known, suggestEdits(name)); s != "" {
		msg += fmt.Sprintf("; did you mean -%s?", s)
	}
	return msg + hint
}

// suggestEdits is how far a mistyped command or flag may be from the one suggested: one
// edit for short words, two for longer ones, so "-x" is not taken for "-f".
func suggestEdits(word string) int {
	if len([]rune(word)) < 5 {
		return 1
	}
	return 2
}

// parseNoArgs parses flags of a command that takes no arguments; a stray one (a plan
// file given without -f, say) is an error rather than silently ignored.
func parseNoArgs(env *cliEnv, fs *cmdFlags, args []string) bool {
	positional, ok := parse(fs, args)
	if ok && len(positional) > 0 {
		errorf(env, "plexform %s takes no arguments, but was given %q; name a plan file with -f FILE\n", fs.Name(), positional[0])
		return false
	}
	return ok
}

// checkOut refuses to write a saved plan over anything but an older saved plan: a
// mistyped -out must not replace the plan file or Plex's settings.
func checkOut(path string) error {
	if path == "" {
		return nil
	}
	data, err := plan.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-out %s: %w", path, err)
	}
	if !plan.LooksSaved(data) {
		return fmt.Errorf("-out %s: the file exists and is not a saved plan; plexform will not write over it (choose another name)", path)
	}
	return nil
}

// restoreCommand is the command line that puts a backup back, with the flags that find
// the same backups dir; paths are quoted for a shell.
func restoreCommand(planFile, root, id string) string {
	cmd := "plexform restore"
	if planFile != "" && planFile != defaultPlanFile {
		cmd += " -f " + shellquote.Quote(planFile)
	}
	if root != "" {
		cmd += " -root " + shellquote.Quote(root)
	}
	return cmd + " " + id
}

func fail(env *cliEnv, err error) int {
	errorf(env, "%s\n", err)
	return exitError
}

// failUnchanged is fail for a command that changes the host (apply, restore), for an
// error found before it touched anything: its last words say the host's state, as
// every failure of theirs does (views.ApplyFailureHuman).
func failUnchanged(env *cliEnv, err error) int {
	errorf(env, "%s\n", err)
	fmt.Fprintln(env.stderr, views.NothingChanged)
	return exitError
}

// errorf prints "Error: ..." on stderr, the label in bold red on a terminal as
// Terraform does; format ends in its own newline.
//
// The message is escaped (redact.PrintableLines): it names paths, and a file name may
// hold a terminal's escape sequences that anyone who can write a directory can choose.
func errorf(env *cliEnv, format string, args ...any) {
	fmt.Fprint(env.stderr, views.Error(styleFor(env, env.stderr))+" "+redact.PrintableLines(fmt.Sprintf(format, args...)))
}

// warnf prints "Warning: ..." on stderr, the label in bold yellow on a terminal.
func warnf(env *cliEnv, format string, args ...any) {
	fmt.Fprint(env.stderr, views.Warning(styleFor(env, env.stderr))+" "+redact.PrintableLines(fmt.Sprintf(format, args...)))
}

// readPlanFile reads a plan file; one that is not there, named with -f or not, gets the
// same hint: how to name another and how to write one.
func readPlanFile(file string) ([]byte, error) {
	data, err := plan.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist) && file == defaultPlanFile:
		return nil, &hinted{err: err, msg: fmt.Sprintf("no plan file: %s is not in this directory; name one with -f FILE, or write one for this host with plexform init", defaultPlanFile)}
	case errors.Is(err, os.ErrNotExist):
		return nil, &hinted{err: err, msg: fmt.Sprintf("no plan file: %s does not exist; name another with -f FILE, or write one for this host with plexform init -f %s", file, shellQuote(file))}
	case err != nil:
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	return data, nil
}

// hinted is an error whose message says what to do instead of the error's own words,
// still matching it for errors.Is.
type hinted struct {
	err error
	msg string
}

func (h *hinted) Error() string { return h.msg }
func (h *hinted) Unwrap() error { return h.err }

// loadPlan reads and decodes a plan file (readPlanFile, plan.Decode).
func loadPlan(file string) (*plan.Plan, error) {
	data, err := readPlanFile(file)
	if err != nil {
		return nil, err
	}
	return plan.Decode(file, data)
}

// loadHost decodes the plan file and binds it to this host.
func loadHost(env *cliEnv, file, root string) (*host.Host, []byte, error) {
	data, err := readPlanFile(file)
	if err != nil {
		return nil, nil, err
	}
	if plan.LooksSaved(data) {
		return nil, nil, fmt.Errorf("%s is a saved plan; give it as `plexform apply %s` or `plexform show %s`, not with -f", file, file, file)
	}
	p, err := plan.Decode(file, data)
	if err != nil {
		return nil, nil, err
	}
	opts, err := hostOptions(env, p, root)
	if err != nil {
		return nil, nil, err
	}
	h, err := host.Open(p, opts)
	if err != nil {
		return nil, nil, err // each problem names the file, line and resource already
	}
	return h, data, nil
}

// hostOptions binds a plan on this host; the backups dir doubles as plexform's state.
func hostOptions(env *cliEnv, p *plan.Plan, root string) (host.Options, error) {
	backups, err := state.Locate(p, root)
	if err != nil {
		return host.Options{}, err
	}
	return host.Options{Root: root, GOOS: runtime.GOOS, Getenv: env.getenv, State: backups}, nil
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// styleFor colours output only on a terminal, never with NO_COLOR (set to anything, as
// no-color.org says) or -no-color.
func styleFor(env *cliEnv, w io.Writer) views.Style {
	if _, noColor := env.getenv("NO_COLOR"); noColor || env.noColor {
		return views.Style{}
	}
	return views.Style{Color: isTerminal(w)}
}

// rootFlag resolves -root to an absolute directory that exists.
func checkRoot(root string) (string, error) {
	if root == "" {
		return "", nil
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.IsDir() {
		return "", fmt.Errorf("-root %s is not a directory", root)
	}
	return abs, nil
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// shellQuote quotes a path for a command line a user will paste into a shell.
var shellQuote = shellquote.Quote
