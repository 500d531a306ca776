// Package shellquote quotes words for a POSIX shell command line: the fixes and undo lines
// plexform prints for a user to paste, and the sh scripts its schedules and tests write.
// One definition, because a quoting slip in any copy is a command that does something else.
package shellquote

import "strings"

// Quote puts s in single quotes, each ' in it spelled '\” (the only character single
// quotes cannot hold, POSIX sh "Quoting").
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Arg quotes s only when the shell would read it otherwise: a word of letters, digits
// and / . _ - : stays bare, so the common path reads as typed.
func Arg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:") == "" {
		return s
	}
	return Quote(s)
}

// Join quotes each word of argv and joins them with spaces.
func Join(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
