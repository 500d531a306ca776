package plist

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
)

// An XML plist is edited as text rather than re-encoded, so that a change touches only
// the keys it changes: the rest keeps its indentation, comments, DOCTYPE and base64 line
// breaks, and a diff of the file shows just the change. The caller parses the result back
// and falls back to a full re-encode when this layout-level edit is not possible.

// xmlEntry is one key/value pair of the root dictionary, as byte offsets into the text.
type xmlEntry struct {
	name       string
	lead       int // start of the whitespace before <key>; equals keyStart when there is none
	keyStart   int
	keyEnd     int
	valueStart int
	valueEnd   int
}

// xmlLayout finds the root dictionary's entries. ok is false for anything but
// <plist><dict>...</dict></plist>.
func xmlLayout(raw []byte) (entries []xmlEntry, ok bool) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	depth := 0
	sawRoot := false
	lastEnd := -1 // end of the previous entry, or of the root <dict> tag
	var cur *xmlEntry
	inKey := false
	for {
		start := int(dec.InputOffset())
		tok, err := dec.RawToken()
		if err == io.EOF {
			return entries, sawRoot && depth == 0
		}
		if err != nil {
			return nil, false
		}
		end := int(dec.InputOffset())
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name.Local != "plist":
				return nil, false
			case depth == 2:
				if t.Name.Local != "dict" || sawRoot {
					return nil, false
				}
				sawRoot = true
				lastEnd = end
			case depth == 3 && cur == nil:
				if t.Name.Local != "key" {
					return nil, false
				}
				lead := start
				if isSpace(raw[lastEnd:start]) {
					lead = lastEnd
				}
				cur = &xmlEntry{lead: lead, keyStart: start, valueStart: -1}
				inKey = true
			case depth == 3:
				cur.valueStart = start
			}
		case xml.EndElement:
			depth--
			if depth == 2 && cur != nil {
				if inKey {
					cur.keyEnd = end
					inKey = false
				} else {
					cur.valueEnd = end
					entries = append(entries, *cur)
					lastEnd = end
					cur = nil
				}
			}
			if depth == 1 && cur != nil {
				return nil, false // a key without a value
			}
		case xml.CharData:
			if inKey {
				cur.name += string(t)
			}
		}
	}
}

func isSpace(b []byte) bool {
	return len(bytes.TrimLeft(b, " \t\r\n")) == 0
}

type splice struct {
	start, end int
	text       string
}

// editXML turns raw, which holds have, into a document holding want, changing only the
// entries that differ. edits gives the order in which new keys are appended.
func editXML(raw []byte, have, want map[string]any, edits []stores.Edit) ([]byte, bool) {
	entries, ok := xmlLayout(raw)
	if !ok || len(entries) == 0 {
		return nil, false
	}
	seen := make(map[string]bool, len(entries))
	var splices []splice
	for _, e := range entries {
		if seen[e.name] {
			return nil, false // duplicate keys: let the encoder settle which one wins
		}
		seen[e.name] = true
		v, keep := want[e.name]
		if !keep {
			splices = append(splices, splice{e.lead, e.valueEnd, ""})
			continue
		}
		if old, ok := have[e.name]; ok && sameValue(old, v) {
			continue
		}
		elem, ok := xmlElement(v)
		if !ok {
			return nil, false
		}
		splices = append(splices, splice{e.valueStart, e.valueEnd, elem})
	}

	last := entries[len(entries)-1]
	lead := string(raw[last.lead:last.keyStart])
	between := string(raw[last.keyEnd:last.valueStart])
	if !isSpace([]byte(between)) {
		between = "" // a comment between key and value is not a layout to copy
	}
	var added strings.Builder
	for _, ed := range edits {
		v, ok := want[ed.Name]
		if !ok || seen[ed.Name] {
			continue
		}
		seen[ed.Name] = true
		elem, ok := xmlElement(v)
		if !ok {
			return nil, false
		}
		added.WriteString(lead + "<key>" + escapeXML(ed.Name) + "</key>" + between + elem)
	}
	if added.Len() > 0 {
		splices = append(splices, splice{last.valueEnd, last.valueEnd, added.String()})
	}

	sort.SliceStable(splices, func(i, j int) bool { return splices[i].start < splices[j].start })
	var out bytes.Buffer
	pos := 0
	for _, s := range splices {
		out.Write(raw[pos:s.start])
		out.WriteString(s.text)
		pos = s.end
	}
	out.Write(raw[pos:])
	return out.Bytes(), true
}

// xmlElement renders a scalar as Apple's XML plist writer does.
func xmlElement(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return "<string>" + escapeXML(x) + "</string>", true
	case int64:
		return "<integer>" + strconv.FormatInt(x, 10) + "</integer>", true
	case uint64:
		return "<integer>" + strconv.FormatUint(x, 10) + "</integer>", true
	case float64:
		return "<real>" + strconv.FormatFloat(x, 'g', -1, 64) + "</real>", true
	case bool:
		if x {
			return "<true/>", true
		}
		return "<false/>", true
	case time.Time:
		return "<date>" + x.UTC().Format(time.RFC3339) + "</date>", true
	case []byte:
		return "<data>" + base64.StdEncoding.EncodeToString(x) + "</data>", true
	}
	return "", false
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#13;")

func escapeXML(s string) string { return xmlEscaper.Replace(s) }
