package xmlattrs

import "unicode/utf8"

// This file is a byte-level well-formedness check for what follows the root element's
// start tag: the part of a Preferences.xml that plexform never changes but must still
// check before it writes. encoding/xml's tokenizer reads a byte at a time through an
// interface and copies every text into a buffer (about 50 MiB/s); in files whose bulk
// is child elements that was four fifths of the time of a plan (bench/RESULTS.md).
//
// scanRest is not a second parser: it answers for the documents it fully understands and
// says "unsure" for the rest, which encoding/xml then reads as before, so every error a
// user sees still comes from encoding/xml. Within its subset it agrees with parseRoot's
// encoding/xml loop (Strict, RawToken, end tags matched, one root, only white space after
// it); FuzzScanRest checks that for any input. Outside the subset: names that are not
// ASCII or hold a colon, processing instructions and directives inside the root,
// anything but white space after it, and nesting deeper than scanMaxDepth.

// verdict is what scanRest can tell about a document.
type verdict int

const (
	unsure     verdict = iota // outside the subset: ask encoding/xml
	wellFormed                // encoding/xml accepts it
	malformed                 // encoding/xml refuses it
)

// fastScan lets tests compare parseRoot with and without scanRest.
var fastScan = true

// scanMaxDepth bounds the nesting scanRest follows; deeper files are left to the token
// loop, and to whatever depth limit it enforces.
const scanMaxDepth = 64

// scanRest checks text[off:], the rest of a document whose root element is named root
// and whose start tag ends at off (just after its '>').
func scanRest(text []byte, off int, root string) verdict {
	s := scanner{text: text, i: off}
	var open [][2]int // the names of open elements below the root, as spans of text
	depth := 1
	if off >= 2 && text[off-2] == '/' { // <root .../>: a '/' before '>' ends an empty tag
		depth = 0
	}
	for depth > 0 {
		if v := s.chars(-1); v != wellFormed {
			return v
		}
		if s.i == len(text) {
			return malformed // the file ends inside the root
		}
		// At '<'.
		s.i++
		switch s.peek() {
		case '/':
			s.i++
			start := s.i
			if v := s.name(); v != wellFormed {
				return v
			}
			name := text[start:s.i]
			s.space()
			if s.peek() != '>' {
				return malformed
			}
			s.i++
			if depth == 1 {
				if string(name) != root {
					return malformed
				}
			} else {
				top := open[len(open)-1]
				if string(name) != string(text[top[0]:top[1]]) {
					return malformed
				}
				open = open[:len(open)-1]
			}
			depth--
		case '!':
			if v := s.commentOrCDATA(); v != wellFormed {
				return v
			}
		case '?':
			return unsure // a processing instruction: rare, and "xml" ones have rules of their own
		default:
			start := s.i
			if v := s.name(); v != wellFormed {
				return v
			}
			name := [2]int{start, s.i}
			empty, v := s.attributes()
			if v != wellFormed {
				return v
			}
			if !empty {
				if depth >= scanMaxDepth {
					return unsure
				}
				open = append(open, name)
				depth++
			}
		}
	}
	// After the root, only white space (encoding/xml would take comments too).
	for ; s.i < len(text); s.i++ {
		if !isSpace(text[s.i]) {
			return unsure
		}
	}
	return wellFormed
}

type scanner struct {
	text []byte
	i    int
}

// peek is the byte at i, or 0 at the end (0 is never valid where it is looked for).
func (s *scanner) peek() byte {
	if s.i < len(s.text) {
		return s.text[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.text) && isSpace(s.text[s.i]) {
		s.i++
	}
}

// plain marks the bytes that text can hold as they are: printable ASCII but the ones
// markup, references and "]]>" start with, and tab, LF and CR.
var plain = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '<' && b != '&' && b != ']' && b != '"' && b != '\''
	}
	t['\t'], t['\n'], t['\r'] = true, true, true
	return t
}()

// chars reads character data up to '<' (or the end) when quote is -1, or an attribute
// value up to its closing quote (consumed) otherwise, as encoding/xml's Decoder.text.
func (s *scanner) chars(quote int) verdict {
	text := s.text
	for s.i < len(text) {
		b := text[s.i]
		if b < utf8.RuneSelf && plain[b] {
			s.i++
			continue
		}
		switch {
		case int(b) == quote:
			s.i++
			return wellFormed
		case b == '"' || b == '\'':
			s.i++
		case b == '<':
			if quote >= 0 {
				return malformed // "unescaped < inside quoted string"
			}
			return wellFormed
		case b == '&':
			if v := s.reference(); v != wellFormed {
				return v
			}
		case b == ']':
			if quote < 0 && s.i+2 < len(text) && text[s.i+1] == ']' && text[s.i+2] == '>' {
				return malformed // "unescaped ]]> not in CDATA section"
			}
			s.i++
		case b < utf8.RuneSelf:
			return malformed // a control character
		default:
			r, size := utf8.DecodeRune(text[s.i:])
			if r == utf8.RuneError && size == 1 || !inCharRange(r) {
				return malformed
			}
			s.i += size
		}
	}
	if quote >= 0 {
		return malformed // the file ends inside a value
	}
	return wellFormed
}

// inCharRange is XML's Char production, as encoding/xml checks it.
func inCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// reference reads an entity or character reference at '&'. Without a DTD, strict
// encoding/xml knows the five predefined entities only.
func (s *scanner) reference() verdict {
	rest := s.text[s.i+1:]
	for _, e := range [...]string{"lt;", "gt;", "amp;", "apos;", "quot;"} {
		if len(rest) >= len(e) && string(rest[:len(e)]) == e {
			s.i += 1 + len(e)
			return wellFormed
		}
	}
	if len(rest) == 0 || rest[0] != '#' {
		return malformed
	}
	j, base := 1, rune(10)
	if j < len(rest) && rest[j] == 'x' { // encoding/xml takes a lower-case x only
		j, base = 2, 16
	}
	digits, n := 0, rune(0)
	for ; j < len(rest); j++ {
		d := rune(-1)
		switch c := rest[j]; {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		}
		if d < 0 {
			break
		}
		digits++
		n = min(n*base+d, utf8.MaxRune+1) // stays out of range once out
	}
	if digits == 0 || j == len(rest) || rest[j] != ';' || n > utf8.MaxRune {
		return malformed
	}
	// encoding/xml writes string(rune(n)), which turns a surrogate into U+FFFD, then
	// checks the character.
	if !inCharRange(n) && !(0xD800 <= n && n <= 0xDFFF) {
		return malformed
	}
	s.i += 1 + j + 1
	return wellFormed
}

// name reads an element or attribute name: ASCII, no colon (namespaces are left to
// encoding/xml).
func (s *scanner) name() verdict {
	text := s.text
	if s.i == len(text) {
		return malformed
	}
	b := text[s.i]
	switch {
	case 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || b == '_':
	case b >= utf8.RuneSelf || b == ':':
		return unsure
	default:
		return malformed // a digit, '.' or '-' cannot start a name, anything else is no name
	}
	for s.i++; s.i < len(text); s.i++ {
		b := text[s.i]
		if 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '_' || b == '.' || b == '-' {
			continue
		}
		if b >= utf8.RuneSelf || b == ':' {
			return unsure
		}
		return wellFormed
	}
	return malformed // the file ends inside a name
}

// attributes reads the rest of a start tag after its name, through '>' or "/>".
func (s *scanner) attributes() (empty bool, v verdict) {
	for {
		s.space()
		switch s.peek() {
		case '/':
			s.i++
			if s.peek() != '>' {
				return false, malformed
			}
			s.i++
			return true, wellFormed
		case '>':
			s.i++
			return false, wellFormed
		}
		if v := s.name(); v != wellFormed {
			return false, v
		}
		s.space()
		if s.peek() != '=' {
			return false, malformed // strict: an attribute needs a value
		}
		s.i++
		s.space()
		q := s.peek()
		if q != '"' && q != '\'' {
			return false, malformed // strict: the value must be quoted
		}
		s.i++
		if v := s.chars(int(q)); v != wellFormed {
			return false, v
		}
	}
}

// commentOrCDATA reads "<!--…-->" or "<![CDATA[…]]>" at '!'; a directive is left to
// encoding/xml.
func (s *scanner) commentOrCDATA() verdict {
	text := s.text
	s.i++ // '!'
	if s.i == len(text) {
		return malformed
	}
	switch s.peek() {
	case '-':
		s.i++
		if s.peek() != '-' {
			return malformed
		}
		s.i++
		// As encoding/xml: once two dashes have been read inside the comment, the next
		// byte must end it. Comment bytes are not checked as characters.
		var b0, b1 byte
		for ; s.i < len(text); s.i++ {
			b := text[s.i]
			if b0 == '-' && b1 == '-' {
				if b != '>' {
					return malformed
				}
				s.i++
				return wellFormed
			}
			b0, b1 = b1, b
		}
		return malformed
	case '[':
		const open = "[CDATA["
		for k := 0; k < len(open); k++ {
			if s.i+k >= len(text) || text[s.i+k] != open[k] {
				return malformed
			}
		}
		s.i += len(open)
		for s.i < len(text) {
			b := text[s.i]
			switch {
			case b == ']' && s.i+2 < len(text) && text[s.i+1] == ']' && text[s.i+2] == '>':
				s.i += 3
				return wellFormed
			case b >= utf8.RuneSelf:
				r, size := utf8.DecodeRune(text[s.i:])
				if r == utf8.RuneError && size == 1 || !inCharRange(r) {
					return malformed
				}
				s.i += size
			case b < 0x20 && b != '\t' && b != '\n' && b != '\r':
				return malformed
			default:
				s.i++
			}
		}
		return malformed // "unexpected EOF in CDATA section"
	}
	return unsure // <!DOCTYPE …> and other directives
}
