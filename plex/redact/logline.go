package redact

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/plexform/plexform/internal/lazyre"
)

var (
	// A token after its name, whatever its shape (a 20-character legacy token or a JWT
	// of any length), also with the = URL-encoded as in a logged URL's query string.
	tokenParam = lazyre.New(`(?i)((?:x-plex-)?token["']?\s*(?:[=:]|%3D)\s*["']?)[^&\s"']+`)
	// A quoted token after its name (X-Plex-Token = "abc def"): the whole quoted value,
	// spaces included, also when the closing quote is missing.
	tokenQuoted = lazyre.New(`(?i)((?:x-plex-)?token["']?\s*(?:[=:]|%3D)\s*)("[^"]*(?:"|$)|'[^']*(?:'|$))`)
	// A token in XML: <authentication-token>…</authentication-token> (plex.tv's claim
	// exchange answer, which PMS may log) and <authToken>…</authToken>.
	tokenElement = lazyre.New(`(?i)(<(?:authentication-?token|auth-?token)>)[^<]*`)
	// An HTTP credential: Authorization: Bearer VALUE (any shape, not only a JWT),
	// Authorization: Basic VALUE, or a bare "Bearer VALUE".
	credential = lazyre.New(`(?i)((?:authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic)\s+)?)|\bbearer\s+)[^\s"']+`)
	// An e-mail address, also URL-encoded as PMS logs it in query strings (%40 for @).
	emailLike = lazyre.New(`(?i)[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	tokenLike = lazyre.New(`\b[A-Za-z0-9_-]{20}\b|\b[0-9a-fA-F]{32,}\b`)
	// The value may not start with "(": a placeholder put there already stays whole.
	userParam = lazyre.New(`(?i)\b((?:username|user|account|e-?mail|server for|signed in as)(?:\s*[=:]\s*|\s+))("[^"]*"|'[^']*'|[^\s,;&(][^\s,;&]*)`)
)

// LogLine hides, in one line of a Plex log, every given secret (the sign-in values read
// from the settings) and anything shaped like a token, an e-mail address, a machine
// identifier or a user name, so the line can be shown in output and errors. A token is
// caught by its name (X-Plex-Token=…, any shape, a quoted value whole), in an XML element
// (<authentication-token>), as an HTTP credential (Authorization: Bearer …), as a JWT
// (jwtLike), or as a 20-character legacy token.
func LogLine(line string, secrets ...string) string {
	// Whole addresses first: a user name that is also an address's local part would
	// otherwise leave its domain behind.
	line = emailLike.ReplaceAllString(line, "(masked e-mail)")
	for _, s := range secrets {
		if len(s) >= 3 {
			line = strings.ReplaceAll(line, s, "(masked)")
		}
	}
	line = jwtLike.ReplaceAllString(line, "(masked)")
	// Named tokens before bare credentials: "Bearer X-Plex-Token = "a b"" must not lose
	// the name that marks the quoted value.
	line = tokenElement.ReplaceAllString(line, "${1}(masked)")
	line = tokenQuoted.ReplaceAllString(line, "${1}(masked)")
	line = tokenParam.ReplaceAllString(line, "${1}(masked)")
	line = credential.ReplaceAllString(line, "${1}(masked)")
	line = userParam.ReplaceAllString(line, "${1}(masked)")
	line = tokenLike.ReplaceAllStringFunc(line, func(m string) string {
		if strings.ContainsAny(m, "0123456789") {
			return "(masked)"
		}
		return m
	})
	return Printable(line)
}

// Printable escapes control characters (a terminal's escape sequences among them) in text
// read from a file anyone may have written, or a path with a name anyone may have chosen
// (a name may hold any byte but / and NUL), so that showing it cannot drive the terminal.
// A newline is escaped too: one line stays one line.
func Printable(s string) string { return escape(s, false) }

// PrintableLines is Printable for text of several lines, such as an error listing its
// problems one a line: each line escaped, the newlines between them kept.
func PrintableLines(s string) string { return escape(s, true) }

func escape(s string, keepNewlines bool) string {
	ctl := func(r rune) bool { return isControl(r) && !(keepNewlines && r == '\n') }
	if strings.IndexFunc(s, ctl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if ctl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r != '\t' && unicode.IsControl(r) }
