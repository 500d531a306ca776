package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/testtool"
)

// topHelp and applyHelp are plexform's help text as the binary printed it.
const topHelp = "Usage: plexform COMMAND [flags]\n\nCommands:\n" +
	"  plan       show what apply would change on this host; change nothing\n" +
	"  completion print a shell completion script (bash, zsh, fish, powershell)\n\n" +
	"Run `plexform help COMMAND` (or `plexform COMMAND -h`) for a command's flags. Every command\n" +
	"takes -no-color (as does NO_COLOR=1).\n"

const applyHelp = "Usage: plexform plan [-f FILE] [-out PLANFILE]\n\nFlags:\n" +
	"  -f string\n    \tplan file (default \"plexform.yaml\")\n" +
	"  -out PLANFILE\n    \tsave the plan to PLANFILE for a later `apply PLANFILE`\n"

func TestManPageFromHelp(t *testing.T) {
	page, err := parseHelp(topHelp)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.commands) != 2 || page.commands[1].name != "completion" || page.commands[1].summary != "print a shell completion script (bash, zsh, fish, powershell)" {
		t.Fatalf("commands %+v", page.commands)
	}
	if err := parseCommandHelp(&page.commands[0], applyHelp); err != nil {
		t.Fatal(err)
	}
	if err := parseCommandHelp(&page.commands[1], "Usage: plexform completion bash|zsh|fish|powershell\n"); err != nil {
		t.Fatal(err)
	}
	got := string(writeManPage(page, "1.2.0-rc.1", time.Unix(1700000000, 0)))
	for _, want := range []string{
		`.TH PLEXFORM 1 "2023-11-14" "plexform 1.2.0\-rc.1" "User Commands"`,
		".SS plan\nshow what apply would change on this host; change nothing\n",
		".B plexform plan [\\-f FILE] [\\-out PLANFILE]\n",
		".TP\n.B \\-f string\nplan file (default \\(dqplexform.yaml\\(dq)\n",
		".TP\n.B \\-out PLANFILE\nsave the plan to PLANFILE for a later `apply PLANFILE`\n",
		".SS completion\n",
		"takes \\-no\\-color (as does NO_COLOR=1).",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the man page lacks %q:\n%s", want, got)
		}
	}
	// groff, as man runs it, with every warning on: none may be given.
	groff := testtool.Require(t, "groff", "groff-base")
	path := filepath.Join(t.TempDir(), "plexform.1")
	if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", path)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff -man -ww: %v\n%s", err, stderr.String())
	}
}

func TestParseHelpRefuses(t *testing.T) {
	for _, text := range []string{"", "Commands:\n  plan x\n", "Usage: plexform\n\nno commands\n", strings.Repeat("x", maxHelp+1)} {
		if _, err := parseHelp(text); err == nil {
			t.Errorf("parseHelp(%.40q) passed", text)
		}
	}
	if err := parseCommandHelp(&helpCommand{name: "plan"}, "Flags:\n  -f\n"); err == nil || !strings.Contains(err.Error(), "help plan has no Usage: line") {
		t.Errorf("parseCommandHelp without a usage line: %v", err)
	}
}

// Whatever the help text holds, the page's text lines never start a roff request: a
// help line starting with "." or "'" must not become a macro.
func FuzzParseHelp(f *testing.F) {
	f.Add(topHelp, applyHelp)
	f.Add("Usage: x\nCommands:\n  .bp  'x\n", "Usage: .so /etc/passwd\n  -\\\n    \t.TH\n")
	f.Fuzz(func(t *testing.T, top, cmd string) {
		page, err := parseHelp(top)
		if err != nil {
			return
		}
		for i := range page.commands {
			_ = parseCommandHelp(&page.commands[i], cmd)
		}
		out := writeManPage(page, "1.0.0", time.Unix(0, 0))
		macros := []string{`.\"`, ".TH ", ".SH ", ".SS ", ".B ", ".I ", ".PP", ".RS", ".RE", ".TP", ".UR ", ".UE"}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "'") {
				t.Fatalf("a line starts with ': %q", line)
			}
			if strings.HasPrefix(line, ".") && !startsWithAny(line, macros) {
				t.Fatalf("a text line starts a request: %q", line)
			}
			if strings.ContainsAny(line, "\r\x00") {
				t.Fatalf("a control character in %q", line)
			}
		}
	})
}

func startsWithAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// A paragraph line that starts with a flag because the text wrapped there is prose, not a
// flag: only the Flags: list holds flags.
func TestWrappedProseIsNoFlag(t *testing.T) {
	c := helpCommand{name: "plan"}
	help := "Usage: plexform plan [-detailed-exitcode]\n\n  Shows the plan. With\n  -detailed-exitcode it exits 2 when there are changes.\n\nFlags:\n  -detailed-exitcode\n    \texit 2 when there are changes\n"
	if err := parseCommandHelp(&c, help); err != nil {
		t.Fatal(err)
	}
	if len(c.flags) != 1 || c.flags[0].name != "-detailed-exitcode" || len(c.flags[0].doc) != 1 {
		t.Errorf("flags: %+v, want the one flag of the Flags: list", c.flags)
	}
	if len(c.text) != 1 || !strings.Contains(c.text[0], "With -detailed-exitcode it exits 2") {
		t.Errorf("prose: %q, want the whole paragraph", c.text)
	}
}
