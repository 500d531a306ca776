package plexsim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/plexform/plexform/stores"
)

// attr is one attribute of <Preferences>; a slice of them keeps the file's order, which
// PMS preserves when it writes the file back.
type attr struct {
	Name, Value string
}

// settings is what PMS holds in memory after reading Preferences.xml once at start.
type settings struct {
	attrs []attr
}

func (s *settings) get(name string) string {
	for _, a := range s.attrs {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

func (s *settings) has(name string) bool {
	for _, a := range s.attrs {
		if a.Name == name {
			return true
		}
	}
	return false
}

// set replaces a value in place, or appends a new one at the end as PMS does.
func (s *settings) set(name, value string) {
	for i, a := range s.attrs {
		if a.Name == name {
			s.attrs[i].Value = value
			return
		}
	}
	s.attrs = append(s.attrs, attr{name, value})
}

// parsePrefs reads the attributes of the root <Preferences> element. Anything that is
// not a well-formed XML document with that root is malformed: PMS refuses to start on it.
func parsePrefs(data []byte) (settings, error) {
	// The first pass checks well-formedness (matching tags, one root); the second reads
	// the root's attributes raw, so a prefix like "xmlns:x" keeps its spelling.
	dec := xml.NewDecoder(bytes.NewReader(data))
	roots := 0
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return settings{}, fmt.Errorf("%w: %v", stores.ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return settings{}, fmt.Errorf("%w: text outside the root element", stores.ErrMalformed)
			}
		}
	}
	if roots != 1 {
		return settings{}, fmt.Errorf("%w: want one root element, found %d", stores.ErrMalformed, roots)
	}

	raw := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := raw.RawToken()
		if err != nil {
			return settings{}, fmt.Errorf("%w: %v", stores.ErrMalformed, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if start.Name.Space != "" || start.Name.Local != "Preferences" {
			return settings{}, fmt.Errorf("%w: root element is <%s>, not <Preferences>", stores.ErrMalformed, qualified(start.Name))
		}
		var s settings
		for _, a := range start.Attr {
			name := qualified(a.Name)
			if s.has(name) {
				return settings{}, fmt.Errorf("%w: attribute %s appears twice", stores.ErrMalformed, name)
			}
			s.attrs = append(s.attrs, attr{name, a.Value})
		}
		return s, nil
	}
}

func qualified(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// render spells the settings the way PMS writes Preferences.xml.
func (s *settings) render() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n<Preferences")
	for _, a := range s.attrs {
		b.WriteString(" ")
		b.WriteString(a.Name)
		b.WriteString(`="`)
		b.WriteString(attrEscaper.Replace(a.Value))
		b.WriteString(`"`)
	}
	b.WriteString("/>\n")
	return []byte(b.String())
}

// Whitespace other than a space must be written as a character reference, or a reader
// would normalise it to a space.
var attrEscaper = strings.NewReplacer(
	`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;",
	"\n", "&#10;", "\r", "&#13;", "\t", "&#9;",
)
