package xmlattrs

import (
	"strconv"
	"strings"
	"unsafe"
)

// fastRootTag reads the root element's start tag at text[at] == '<' byte by byte, when
// it is inside scanner's subset (ASCII names without a colon, quoted values), and returns
// its name, its attributes' values and the offset just past its '>'. ok is false outside
// the subset and for a tag encoding/xml would refuse: the caller then reads the tag with
// encoding/xml as before, so every error still comes from there.
//
// A large Preferences.xml is almost all this one tag. encoding/xml copies every value
// into a string of its own, so the values of a 50 MB file are a second 50 MB held with
// the file's bytes. Here a value is a view of text itself (text is never changed once
// read: it is the file's bytes, or the copy decode made of them), and only a value that
// holds a reference or a CR is copied, unescaped, as encoding/xml would.
func fastRootTag(text []byte, at int) (name string, values map[string]string, end int, ok bool) {
	s := scanner{text: text, i: at + 1}
	if s.name() != wellFormed {
		return "", nil, 0, false
	}
	name = string(text[at+1 : s.i])
	// First pass: check the tag (the scanner's own rules, which FuzzScanRest holds to
	// encoding/xml's) and count its attributes, so the map is made once at its size.
	start := s.i
	if _, v := s.attributes(); v != wellFormed {
		return "", nil, 0, false
	}
	end = s.i
	// Every attribute has an '=' and takes at least five bytes (` a=""`).
	values = make(map[string]string, min(strings.Count(unsafe.String(&text[start], end-start), "="), (end-start)/5))
	// Second pass: the tag is well-formed, so this walks name = quote value quote.
	for i := start; ; {
		for isSpace(text[i]) {
			i++
		}
		if text[i] == '/' || text[i] == '>' {
			break
		}
		nameStart := i
		for text[i] != '=' && !isSpace(text[i]) {
			i++
		}
		attr := string(text[nameStart:i])
		for text[i] != '"' && text[i] != '\'' {
			i++
		}
		q := text[i]
		i++
		valStart := i
		plainValue := true
		for text[i] != q {
			if text[i] == '&' || text[i] == '\r' {
				plainValue = false
			}
			i++
		}
		raw := text[valStart:i]
		i++
		if _, dup := values[attr]; dup {
			return "", nil, 0, false // encoding/xml keeps both; locate reports it
		}
		switch {
		case len(raw) == 0:
			values[attr] = ""
		case plainValue:
			values[attr] = unsafe.String(&raw[0], len(raw))
		default:
			values[attr] = unescapeAttr(raw)
		}
	}
	return name, values, end, true
}

// unescapeAttr decodes a value the scanner accepted (every reference valid) as
// encoding/xml's Decoder.text does: the five predefined entities, character references
// (a surrogate becomes U+FFFD, as string(rune) makes it), and CR LF or a lone CR as LF.
func unescapeAttr(raw []byte) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '\r':
			b.WriteByte('\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			semi := i + 1
			for raw[semi] != ';' {
				semi++
			}
			ref := string(raw[i+1 : semi])
			i = semi
			switch ref {
			case "lt":
				b.WriteByte('<')
			case "gt":
				b.WriteByte('>')
			case "amp":
				b.WriteByte('&')
			case "apos":
				b.WriteByte('\'')
			case "quot":
				b.WriteByte('"')
			default: // #ddd or #xhh, checked by the scanner
				digits, base := ref[1:], 10
				if strings.HasPrefix(digits, "x") {
					digits, base = digits[1:], 16
				}
				n, _ := strconv.ParseUint(digits, base, 32)
				b.WriteString(string(rune(n)))
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
