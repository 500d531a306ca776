package xmlattrs

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// startTag is one element's start tag as it stands in the file, cut into the pieces an
// edit needs so that everything it does not change is copied byte for byte:
//
//	<Preferences␣A="1"␣␣B='2'␣/>
//	|name       |ws|body |ws|body|tail
type startTag struct {
	start, end int // data[start:end] is the whole tag, from '<' through '>'
	nameEnd    int // offset just past the element name
	attrs      []rawAttr
	tail       string // whitespace and "/>" or ">" after the last attribute
}

// rawAttr is one attribute as written: offsets into the file's text rather than copies,
// because a 5 MB Preferences.xml is mostly attribute values.
type rawAttr struct {
	wsStart, start, end int // data[wsStart:start] is the whitespace before, data[start:end] is name="value"
	name                string
	quote               byte
	// added attributes have no place in the file: their text is here instead.
	addedWS, addedBody string
}

func (a rawAttr) ws(data []byte) []byte {
	if a.addedBody != "" {
		return []byte(a.addedWS)
	}
	return data[a.wsStart:a.start]
}

// findStartTag walks data (UTF-8, well-formed: the caller has parsed it already) to the
// start tag of the element reached by childPath, where childPath[i] is the index among
// element siblings at depth i (childPath[0] is always 0: the root).
//
// attrs is how many attributes the parse found on that element: the slice of them is
// made once at its size (a 50 MB file's root holds some 50,000).
func findStartTag(data []byte, childPath []int, attrs int) (*startTag, error) {
	depth := 0
	// seen[d] counts element children met so far at depth d under the current parent.
	seen := make([]int, len(childPath)+1)
	i := 0
	for {
		lt := bytes.IndexByte(data[i:], '<')
		if lt < 0 {
			return nil, fmt.Errorf("element not found")
		}
		i += lt
		rest := data[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(data, i, "?>")
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipPast(data, i, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipPast(data, i, "]]>")
		case bytes.HasPrefix(rest, []byte("<!")):
			i = skipDoctype(data, i)
		case bytes.HasPrefix(rest, []byte("</")):
			depth--
			i = skipPast(data, i, ">")
		default:
			hint := 0
			if depth == len(childPath)-1 && seen[depth] == childPath[depth] {
				hint = attrs // the element sought: its attributes were counted by the parse
			}
			tag, err := lexStartTag(data, i, hint)
			if err != nil {
				return nil, err
			}
			if depth < len(childPath) {
				index := seen[depth]
				seen[depth]++
				if index == childPath[depth] {
					if depth == len(childPath)-1 {
						return tag, nil
					}
					// Descend: count this element's children from zero.
					seen[depth+1] = 0
				} else if index > childPath[depth] {
					return nil, fmt.Errorf("element not found")
				}
			}
			selfClosing := strings.HasSuffix(tag.tail, "/>")
			if !selfClosing {
				depth++
			}
			i = tag.end
		}
		if i < 0 {
			return nil, fmt.Errorf("element not found")
		}
	}
}

func skipPast(data []byte, from int, end string) int {
	k := bytes.Index(data[from:], []byte(end))
	if k < 0 {
		return -1
	}
	return from + k + len(end)
}

// skipDoctype skips <!DOCTYPE ...>, including an internal subset in [...] whose
// declarations contain '>' of their own.
func skipDoctype(data []byte, from int) int {
	inSubset := false
	var quote byte
	for i := from + 2; i < len(data); i++ {
		c := data[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			inSubset = true
		case c == ']':
			inSubset = false
		case c == '>' && !inSubset:
			return i + 1
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// lexStartTag cuts the start tag beginning at data[at] == '<' into its pieces.
func lexStartTag(data []byte, at, attrs int) (*startTag, error) {
	i := at + 1
	for i < len(data) && !isSpace(data[i]) && data[i] != '/' && data[i] != '>' {
		i++
	}
	tag := &startTag{start: at, nameEnd: i, attrs: make([]rawAttr, 0, attrs)}
	for {
		wsStart := i
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) {
			return nil, fmt.Errorf("unterminated start tag at byte %d", at)
		}
		if data[i] == '>' || data[i] == '/' {
			end := bytes.IndexByte(data[i:], '>')
			if end < 0 {
				return nil, fmt.Errorf("unterminated start tag at byte %d", at)
			}
			tag.tail = string(data[wsStart : i+end+1])
			tag.end = i + end + 1
			return tag, nil
		}
		nameStart := i
		for i < len(data) && !isSpace(data[i]) && data[i] != '=' {
			i++
		}
		name := string(data[nameStart:i])
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) || data[i] != '=' {
			return nil, fmt.Errorf("attribute %s without a value at byte %d", name, nameStart)
		}
		i++
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i >= len(data) || (data[i] != '"' && data[i] != '\'') {
			return nil, fmt.Errorf("attribute %s without a quoted value at byte %d", name, nameStart)
		}
		quote := data[i]
		closeAt := bytes.IndexByte(data[i+1:], quote)
		if closeAt < 0 {
			return nil, fmt.Errorf("unterminated value of attribute %s at byte %d", name, nameStart)
		}
		i += closeAt + 2
		tag.attrs = append(tag.attrs, rawAttr{wsStart: wsStart, start: nameStart, end: i, name: name, quote: quote})
	}
}

// appendRendered appends the tag, rebuilt with the edits applied, to dst. Untouched
// attributes keep their bytes; a removed attribute takes its leading whitespace with it,
// except that the first surviving attribute inherits the first original one's, so
// "<P\n  A=.. B=..>" minus A still starts its attributes on a new line. It appends to
// the caller's buffer (the whole file's) rather than building the tag apart: a 50 MB
// Preferences.xml is mostly this one tag, and a separate copy of it would be another
// 50 MB held at once.
func (t *startTag) appendRendered(dst, data []byte, removed map[string]bool, replaced map[string]string, added []rawAttr) []byte {
	dst = append(dst, data[t.start:t.nameEnd]...)
	var firstWS []byte
	if len(t.attrs) > 0 {
		firstWS = t.attrs[0].ws(data)
	}
	wrote := 0
	for _, a := range t.attrs {
		if removed[a.name] {
			continue
		}
		ws := a.ws(data)
		if wrote == 0 {
			ws = firstWS
		}
		dst = append(dst, ws...)
		if v, ok := replaced[a.name]; ok {
			dst = append(dst, a.name...)
			dst = append(dst, '=', a.quote)
			dst = append(dst, v...)
			dst = append(dst, a.quote)
		} else {
			dst = append(dst, data[a.start:a.end]...)
		}
		wrote++
	}
	for _, a := range added {
		dst = append(dst, a.addedWS...)
		dst = append(dst, a.addedBody...)
	}
	return append(dst, t.tail...)
}

// attrQuotes finds an attribute of the tag by the name it is written with, and gives the
// quote its value is written in. A plan's few edits look through the attributes; many
// (redact rewriting every value of a large file) build a map once, so the lookups never
// cost attributes × edits.
func (t *startTag) attrQuotes(lookups int) func(name string) (quote byte, ok bool) {
	if lookups <= 16 {
		return func(name string) (byte, bool) {
			i := slices.IndexFunc(t.attrs, func(a rawAttr) bool { return a.name == name })
			if i < 0 {
				return 0, false
			}
			return t.attrs[i].quote, true
		}
	}
	quotes := make(map[string]byte, len(t.attrs))
	for _, a := range t.attrs {
		quotes[a.name] = a.quote
	}
	return func(name string) (byte, bool) {
		q, ok := quotes[name]
		return q, ok
	}
}

// escapeAttr escapes a value for an attribute quoted with quote. Runes above maxRune
// (0x7F for an ASCII document, 0xFF for Latin-1) become character references so the
// file stays valid in its declared encoding; whitespace other than a space becomes a
// reference too, because a parser would otherwise fold it into a space.
func escapeAttr(v string, quote byte, maxRune rune) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && quote == '"':
			b.WriteString("&quot;")
		case r == '\'' && quote == '\'':
			b.WriteString("&apos;")
		case r == '\t' || r == '\n' || r == '\r' || r > maxRune || r == utf8.RuneError:
			fmt.Fprintf(&b, "&#x%X;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
