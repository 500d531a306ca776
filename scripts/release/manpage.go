package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The man page is generated from the binary's own help text (`plexform help` and
// `plexform help COMMAND`), so it lists the commands and flags the release really has.
// The help text is Go's flag package output under a usage line:
//
//	Usage: plexform apply [-f FILE | PLANFILE] [-auto-approve] ...
//
//	Flags:
//	  -auto-approve
//	    	apply without asking
//	  -f string
//	    	plan file (default "plexform.yaml")

// helpPage is `plexform help` read back: the commands with their one-line summaries, and
// the prose after them.
type helpPage struct {
	usage    string
	commands []helpCommand
	notes    []string // paragraphs after the command list
}

type helpCommand struct {
	name, summary string
	usage         string     // "plexform apply [-f FILE | PLANFILE] ..."
	text          []string   // paragraphs of `help COMMAND` that are neither usage nor flags
	flags         []helpFlag // in the order help prints them
}

type helpFlag struct {
	name string // "-f string", "-root DIR"
	doc  []string
}

var commandLine = regexp.MustCompile(`^  ([a-z][a-z0-9-]*) +(\S.*)$`)

// maxHelp bounds what is read of one help text: plexform's are a few kilobytes.
const maxHelp = 1 << 20

// parseHelp reads the top-level help: a "Usage:" line, a "Commands:" list of
// two-space-indented "name summary" lines, and paragraphs after it.
func parseHelp(text string) (helpPage, error) {
	var p helpPage
	if len(text) > maxHelp {
		return p, fmt.Errorf("help text of %d bytes, more than %d", len(text), maxHelp)
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	inCommands := false
	var para []string
	flush := func() {
		if len(para) > 0 {
			p.notes = append(p.notes, strings.Join(para, " "))
			para = nil
		}
	}
	for _, line := range lines {
		switch {
		case p.usage == "" && strings.HasPrefix(line, "Usage: "):
			p.usage = strings.TrimSpace(strings.TrimPrefix(line, "Usage: "))
		case line == "Commands:":
			inCommands = true
		case inCommands && commandLine.MatchString(line):
			m := commandLine.FindStringSubmatch(line)
			p.commands = append(p.commands, helpCommand{name: m[1], summary: strings.TrimSpace(m[2])})
		case strings.TrimSpace(line) == "":
			inCommands = false
			flush()
		default:
			inCommands = false
			if p.usage != "" {
				para = append(para, strings.TrimSpace(line))
			}
		}
	}
	flush()
	if p.usage == "" || len(p.commands) == 0 {
		return p, fmt.Errorf("the help text has no Usage: line or no Commands: list")
	}
	return p, nil
}

// parseCommandHelp reads `plexform help COMMAND` into c: its usage line, any prose, and
// the flags as Go's flag package prints them ("  -name [ARG]", then "    \t" doc lines).
func parseCommandHelp(c *helpCommand, text string) error {
	if len(text) > maxHelp {
		return fmt.Errorf("help %s: %d bytes, more than %d", c.name, len(text), maxHelp)
	}
	var para []string
	flush := func() {
		if len(para) > 0 {
			c.text = append(c.text, strings.Join(para, " "))
			para = nil
		}
	}
	// Only the Flags: list holds flags: a paragraph line may start with one when it
	// wraps ("  -detailed-exitcode it exits 2 ...").
	inFlags := false
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		switch {
		case c.usage == "" && strings.HasPrefix(line, "Usage: "):
			c.usage = strings.TrimSpace(strings.TrimPrefix(line, "Usage: "))
		case line == "Flags:":
			flush()
			inFlags = true
		case inFlags && strings.HasPrefix(line, "  -"):
			flush()
			c.flags = append(c.flags, helpFlag{name: strings.TrimSpace(line)})
		case strings.HasPrefix(line, "    \t") && len(c.flags) > 0:
			f := &c.flags[len(c.flags)-1]
			f.doc = append(f.doc, strings.TrimSpace(line))
		case strings.TrimSpace(line) == "":
			flush()
		default:
			para = append(para, strings.TrimSpace(line))
		}
	}
	flush()
	if c.usage == "" {
		return fmt.Errorf("help %s has no Usage: line", c.name)
	}
	return nil
}

// roff escapes text for a roff text line: a backslash is \e, every hyphen-minus is \-
// (so flags copy as the ASCII "-" they are), a double quote is \(dq (a macro's argument
// may hold one), anything outside ASCII is \[uXXXX] (groff
// reads its input as Latin-1 without preconv), and a line may not start with a control
// character ("." or "'"), which \& guards.
func roff(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r == '"':
			b.WriteString(`\(dq`)
		case (r == '.' || r == '\'') && i == 0:
			b.WriteString(`\&`)
			b.WriteRune(r)
		case r == utf8.RuneError || r < 0x20 && r != '\t':
			b.WriteString(`\[uFFFD]`)
		case r > 0x7e:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeManPage renders the parsed help as plexform(1) in the man(7) macros.
func writeManPage(p helpPage, version string, date time.Time) []byte {
	var b bytes.Buffer
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line(`.\" Generated by scripts/release (manpage) from plexform's help text; do not edit.`)
	line(`.TH PLEXFORM 1 "%s" "plexform %s" "User Commands"`, date.UTC().Format("2006-01-02"), roff(version))
	line(".SH NAME")
	line(`plexform \- reset and keep Plex Media Server's sign-in, as configuration as code`)
	line(".SH SYNOPSIS")
	line(".B plexform")
	line(".I COMMAND")
	line("[flags]")
	line(".SH DESCRIPTION")
	line("A plan file (YAML) states the desired state of Plex Media Server's settings;")
	line(".B plexform plan")
	line("shows the difference against this host and")
	line(".B plexform apply")
	line("makes it so, with backups and rollback.")
	for _, n := range p.notes {
		line(".PP")
		line("%s", roff(n))
	}
	line(".SH COMMANDS")
	for _, c := range p.commands {
		line(".SS %s", roff(c.name))
		line("%s", roff(c.summary))
		line(".PP")
		line(".B %s", roff(c.usage))
		for _, t := range c.text {
			line(".PP")
			line("%s", roff(t))
		}
		if len(c.flags) > 0 {
			line(".RS")
			for _, f := range c.flags {
				line(".TP")
				line(".B %s", roff(f.name))
				for _, d := range f.doc {
					line("%s", roff(d))
				}
			}
			line(".RE")
		}
	}
	line(".SH SEE ALSO")
	line("The README.md and docs/ that ship with plexform, and")
	line(".UR https://github.com/plexform/plexform")
	line(".UE .")
	return b.Bytes()
}

// manPageOf runs bin's help and each command's help and renders the man page.
func manPageOf(bin, version string, date time.Time) ([]byte, error) {
	help := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"help"}, args...)...)
		cmd.Env = []string{"NO_COLOR=1", "LC_ALL=C", "TZ=UTC"}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("%s help %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
		}
		return out.String(), nil
	}
	top, err := help()
	if err != nil {
		return nil, err
	}
	page, err := parseHelp(top)
	if err != nil {
		return nil, fmt.Errorf("%s help: %w", bin, err)
	}
	for i := range page.commands {
		c := &page.commands[i]
		text, err := help(c.name)
		if err != nil {
			return nil, err
		}
		if err := parseCommandHelp(c, text); err != nil {
			return nil, err
		}
	}
	return writeManPage(page, version, date), nil
}
