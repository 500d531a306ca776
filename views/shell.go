package views

import "strings"

// ShellQuote quotes a path or word for a command line a user will paste into a POSIX
// shell (the chown doctor advises, the restore apply names).
func ShellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
