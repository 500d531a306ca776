package redact

import (
	"regexp"
	"strings"
)

// Masked is what a secret in a line of text becomes (Line).
const Masked = "(masked)"

var (
	tokenParam = regexp.MustCompile(`(?i)((?:x-plex-)?token["']?\s*[=:]\s*["']?)[^&\s"']+`)
	// An e-mail address, also URL-encoded as PMS logs it in query strings (%40 for @).
	lineEmail = regexp.MustCompile(`(?i)[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	tokenLike = regexp.MustCompile(`\b[A-Za-z0-9_-]{20}\b|\b[0-9a-fA-F]{32,}\b`)
	// The value may not start with "(": a placeholder put there already stays whole.
	userParam = regexp.MustCompile(`(?i)\b((?:username|user|account|e-?mail|server for|signed in as)(?:\s*[=:]\s*|\s+))("[^"]*"|'[^']*'|[^\s,;&(][^\s,;&]*)`)
)

// Line masks one line of free text, such as a log line, for showing: each of known (the
// values read from the settings under a Sensitive name; shorter than 3 characters are
// left, as they would match inside words), and anything shaped like a token, an e-mail
// address, a machine identifier or a user name. Unlike Redact it need not keep the
// line's syntax, only never show a secret.
func Line(line string, known []string) string {
	for _, s := range known {
		if len(s) >= 3 {
			line = strings.ReplaceAll(line, s, Masked)
		}
	}
	line = tokenParam.ReplaceAllString(line, "${1}"+Masked)
	line = lineEmail.ReplaceAllString(line, "(masked e-mail)")
	line = userParam.ReplaceAllString(line, "${1}"+Masked)
	return tokenLike.ReplaceAllStringFunc(line, func(m string) string {
		if strings.ContainsAny(m, "0123456789") {
			return Masked
		}
		return m
	})
}
