package redact

import (
	"fmt"
	"sort"
	"strings"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/plan"
)

// What is redacted whatever its value looks like: every name plexform never prints
// (plan.IsSensitiveName), and on top of it what identifies the server or its owner to a
// reader of a public post, though plan output may show it: the server's identity
// (plan.IdentityNames), other identifiers and the Gracenote account. All compare
// case-insensitively (PMS versions differ in casing).
var (
	sensitiveNames    = []string{"gracenoteuser"}
	sensitiveSuffixes = []string{"uuid", "identifier"}
)

// Sensitive tells whether a value named name is redacted whatever it holds.
func Sensitive(name string) bool {
	if plan.IsSensitiveName(name) || plan.IsIdentityName(name) {
		return true
	}
	lower := strings.ToLower(name)
	for _, n := range sensitiveNames {
		if lower == n {
			return true
		}
	}
	for _, s := range sensitiveSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// EmailPlaceholder replaces every e-mail address, wherever it appears.
const EmailPlaceholder = "redacted@example.invalid"

// JWTPlaceholder replaces every JWT found in free text.
const JWTPlaceholder = "REDACTED-JWT"

var (
	// jwtLike is a JSON Web Token (RFC 7519) as plex.tv hands them out since September
	// 2025: three base64url parts, the first a JSON header, so it starts with "eyJ" ('{"').
	// Its length and claims are nobody's business: any such run is a secret.
	jwtLike = lazyre.New(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	emailRE = lazyre.New(`[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}`)
	uuidRE  = lazyre.New(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	hexRE   = lazyre.New(`^[0-9A-Fa-f]{8,}$`)
)

// minLeftover is the shortest secret that is also searched for outside the value that
// held it (in other values, comments, child elements): shorter ones, like a user name
// "jo", would match inside unrelated words.
const minLeftover = 8

// scrubber decides placeholders. Placeholders are stable within one file: the same
// secret always gets the same placeholder, so a reader can still see that two values
// were equal (ProcessedMachineIdentifier and /identity's machineIdentifier, say).
//
// The rule, in order:
//   - an empty value stays empty (an empty token means "not signed in");
//   - a value that is already a placeholder stays (redacting twice changes nothing);
//   - a value that is an e-mail address becomes redacted@example.invalid;
//   - a UUID becomes 00000000-0000-0000-0000-00000000000N and a run of 8 or more hex
//     digits becomes as many digits 0…0N, N counting distinct secrets from 1 in file
//     order, so the shape (and a length a helper may ask about) survives;
//   - anything else becomes REDACTED-<name>.
//
// A value whose name is not sensitive keeps its text except for e-mail addresses and
// secrets of minLeftover or more characters found inside it.
type scrubber struct {
	placeholders map[string]string // secret -> placeholder
	secrets      []string          // placeholders' keys of minLeftover+ bytes, longest first
	shaped       int               // identifiers numbered so far
	hosts        int               // customConnections hosts numbered so far
	names        []string          // redacted value names, first-seen order, unique
	count        int               // values redacted
	elsewhere    int               // replacements outside the values visited
}

func newScrubber() *scrubber { return &scrubber{placeholders: map[string]string{}} }

func isPlaceholder(v string) bool {
	if strings.HasPrefix(v, "REDACTED-") || v == EmailPlaceholder {
		return true
	}
	if !uuidRE.MatchString(v) && !hexRE.MatchString(v) {
		return false
	}
	digits := strings.TrimLeft(strings.ReplaceAll(v, "-", ""), "0")
	return len(digits) <= 6 && strings.Trim(digits, "0123456789") == ""
}

// collect records a sensitive value before anything is rewritten, so that the secret is
// also found where it appears before the value that names it.
func (s *scrubber) collect(name, value string) {
	if isConnections(name) {
		s.collectHosts(value)
		return
	}
	if !Sensitive(name) || value == "" || isPlaceholder(value) {
		return
	}
	if _, ok := s.placeholders[value]; ok {
		return
	}
	var p string
	switch {
	case emailRE.FindString(value) == value:
		p = EmailPlaceholder
	case uuidRE.MatchString(value):
		s.shaped++
		p = fmt.Sprintf("00000000-0000-0000-0000-%012d", s.shaped)
	case hexRE.MatchString(value):
		s.shaped++
		p = fmt.Sprintf("%0*d", len(value), s.shaped)
	default:
		p = "REDACTED-" + name
	}
	s.placeholders[value] = p
	if len(value) >= minLeftover {
		s.secrets = append(s.secrets, value)
		s.sortSecrets()
	}
}

// known tells whether a secret is already searched for.
func (s *scrubber) known(secret string) bool {
	for _, k := range s.secrets {
		if k == secret {
			return true
		}
	}
	return false
}

// sortSecrets puts the longest first, so a secret inside another is not replaced first.
func (s *scrubber) sortSecrets() {
	sort.SliceStable(s.secrets, func(i, j int) bool { return len(s.secrets[i]) > len(s.secrets[j]) })
}

// value returns what a value becomes, and whether that differs; it counts the change
// under name.
func (s *scrubber) value(name, value string) (string, bool) {
	next := value
	if p, ok := s.placeholders[value]; ok && Sensitive(name) {
		next = p
	} else if isConnections(name) {
		next, _ = s.text(s.maskConnections(value))
	} else {
		next, _ = s.text(value)
	}
	if next == value {
		return value, false
	}
	s.count++
	s.noteName(name)
	return next, true
}

func (s *scrubber) noteName(name string) {
	for _, n := range s.names {
		if n == name {
			return
		}
	}
	s.names = append(s.names, name)
}

// text replaces known secrets, JWTs and e-mail addresses inside free text and says how
// many.
func (s *scrubber) text(t string) (string, int) {
	n := 0
	for _, secret := range s.secrets {
		if c := strings.Count(t, secret); c > 0 {
			n += c
			t = strings.ReplaceAll(t, secret, s.placeholders[secret])
		}
	}
	t = jwtLike.ReplaceAllStringFunc(t, func(string) string {
		n++
		return JWTPlaceholder
	})
	t = emailRE.ReplaceAllStringFunc(t, func(m string) string {
		if m != EmailPlaceholder {
			n++
		}
		return EmailPlaceholder
	})
	return t, n
}

// rest scrubs a whole file's text after its values were rewritten, for what no parser
// visited: comments, child elements, key names.
func (s *scrubber) rest(t string) string {
	t, n := s.text(t)
	s.elsewhere += n
	return t
}
