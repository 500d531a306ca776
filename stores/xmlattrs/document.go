package xmlattrs

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/internal/parselimit"
	"github.com/plexform/plexform/stores"
)

// document is an XML file parsed just enough to edit one element's attributes and
// write back every other byte as it was.
type document struct {
	codec  codec
	text   []byte // the file as UTF-8, without its byte-order mark
	tag    *startTag
	values map[string]string // unescaped attribute values by name as written
}

// codec carries the file's bytes to UTF-8 text and back without loss: UTF-8 files are
// edited in place, UTF-16 and Latin-1 ones through a lossless transcoding.
type codec struct {
	name    string
	bom     []byte
	maxRune rune // the largest rune the encoding can hold without a character reference
	// encode turns edited text back into the file's encoding; nil when the text is the
	// file's bytes already (UTF-8, US-ASCII).
	encode func(text []byte) []byte
}

var encodingDecl = lazyre.New(`^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']`)

// decode finds the file's encoding (byte-order mark first, then the XML declaration)
// and returns its text as UTF-8.
func decode(raw []byte) (codec, []byte, error) {
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		return codec{name: "UTF-8", bom: raw[:3], maxRune: utf8.MaxRune}, raw[3:], nil
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}):
		return decodeUTF16(raw, false)
	case bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		return decodeUTF16(raw, true)
	case len(raw) >= 2 && (raw[0] == 0 || raw[1] == 0):
		return codec{}, nil, fmt.Errorf("%w: looks like UTF-16 without a byte-order mark; plexform cannot tell its byte order", stores.ErrMalformed)
	}
	enc := "utf-8"
	if m := encodingDecl.FindSubmatch(raw); m != nil {
		enc = strings.ToLower(string(m[1]))
	}
	switch enc {
	case "utf-8", "utf8":
		return codec{name: "UTF-8", maxRune: utf8.MaxRune}, raw, nil
	case "us-ascii", "ascii":
		return codec{name: "US-ASCII", maxRune: 0x7F}, raw, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1", "l1":
		return codec{name: "ISO-8859-1", maxRune: 0xFF, encode: encodeLatin1}, decodeLatin1(raw), nil
	}
	return codec{}, nil, fmt.Errorf("the file declares encoding %q, which plexform does not edit (it edits UTF-8, UTF-16, US-ASCII and ISO-8859-1); convert the file to UTF-8 first", enc)
}

func decodeLatin1(raw []byte) []byte {
	out := make([]byte, 0, len(raw)+len(raw)/8)
	for _, c := range raw {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

// encodeLatin1 never meets a rune above 0xFF: escapeAttr turned those into references.
func encodeLatin1(text []byte) []byte {
	out := make([]byte, 0, len(text))
	for _, r := range string(text) {
		out = append(out, byte(r))
	}
	return out
}

func decodeUTF16(raw []byte, bigEndian bool) (codec, []byte, error) {
	body := raw[2:]
	if len(body)%2 != 0 {
		return codec{}, nil, fmt.Errorf("%w: UTF-16 file with an odd number of bytes", stores.ErrMalformed)
	}
	units := make([]uint16, len(body)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
		} else {
			units[i] = uint16(body[2*i]) | uint16(body[2*i+1])<<8
		}
	}
	runes := utf16.Decode(units)
	text := []byte(string(runes))
	// A lone surrogate would not survive the trip back; refuse rather than alter bytes.
	if !bytes.Equal(encodeUTF16(text, bigEndian), body) {
		return codec{}, nil, fmt.Errorf("%w: invalid UTF-16", stores.ErrMalformed)
	}
	name := "UTF-16LE"
	if bigEndian {
		name = "UTF-16BE"
	}
	return codec{name: name, bom: raw[:2], maxRune: utf8.MaxRune, encode: func(t []byte) []byte { return encodeUTF16(t, bigEndian) }}, text, nil
}

func encodeUTF16(text []byte, bigEndian bool) []byte {
	units := utf16.Encode([]rune(string(text)))
	out := make([]byte, 2*len(units))
	for i, u := range units {
		if bigEndian {
			out[2*i], out[2*i+1] = byte(u>>8), byte(u)
		} else {
			out[2*i], out[2*i+1] = byte(u), byte(u>>8)
		}
	}
	return out
}

// parseDocument checks that raw is well-formed XML within parselimit's depth, that its
// root element is named root (when root is not empty), and finds the element selected by
// elementPath (an etree path such as "/Preferences"; empty means the root element).
// Errors name a line and column, never text of the file.
func parseDocument(raw []byte, elementPath, root string) (*document, error) {
	c, text, err := decode(raw)
	if err != nil {
		return nil, err
	}
	// The token scan checks the whole file, within limits, before etree (which builds a
	// tree of all of it) ever sees it.
	top, err := scanRoot(text)
	if err != nil {
		return nil, err
	}
	if root != "" && top.name != root {
		return nil, fmt.Errorf("%w: %w: the root element is <%s>, not <%s>; this is not the file the plan means (is the path right?)",
			stores.ErrMalformed, ErrWrongRoot, top.name, root)
	}
	if elementPath == "" {
		return locate(c, text, []int{0}, top.name, top.values)
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		// The text is UTF-8 by now whatever the declaration says.
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}
	if err := doc.ReadFromBytes(text); err != nil {
		return nil, fmt.Errorf("%w: XML syntax error: %s", stores.ErrMalformed, parselimit.DescribeXML(err))
	}
	rootEl := doc.Root()
	if rootEl == nil {
		return nil, fmt.Errorf("%w: no root element", stores.ErrMalformed)
	}
	path, err := etree.CompilePath(elementPath)
	if err != nil {
		return nil, fmt.Errorf("element path %q: %v", elementPath, err)
	}
	var el *etree.Element
	found := doc.FindElementsPath(path)
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no element matches %q (the root element is <%s>)", elementPath, rootEl.FullTag())
	case 1:
		el = found[0]
	default:
		return nil, fmt.Errorf("%d elements match %q; make the path select one, e.g. %s[1]", len(found), elementPath, elementPath)
	}
	values := make(map[string]string, len(el.Attr))
	for _, a := range el.Attr {
		values[a.FullKey()] = a.Value
	}
	return locate(c, text, childPath(el), el.FullTag(), values)
}

// ErrWrongRoot marks a file whose root element is not the one its kind requires.
var ErrWrongRoot = errors.New("unexpected root element")

// rootElement is the root's name and attributes as the token scan saw them.
type rootElement struct {
	name   string
	values map[string]string
}

// scanRoot checks the whole file as a token stream, refusing nesting deeper than
// parselimit.MaxDepth, and keeps only the root's attributes: no tree of a possibly large
// file is built.
func scanRoot(text []byte) (rootElement, error) {
	dec := xml.NewDecoder(bytes.NewReader(text))
	dec.Strict = true
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var top rootElement
	var open []xml.Name
	for {
		at := dec.InputOffset()
		if top.name == "" && fastScan && int(at) < len(text) && text[at] == '<' {
			// The root's start tag and all after it, byte by byte when simple enough
			// (roottag.go, scan.go); otherwise encoding/xml reads on from here.
			if name, values, end, ok := fastRootTag(text, int(at)); ok && scanRest(text, end, name) == wellFormed {
				return rootElement{name: name, values: values}, nil
			}
		}
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rootElement{}, fmt.Errorf("%w: %w", stores.ErrMalformed, parselimit.XMLError(text, dec.InputOffset(), err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if top.values == nil {
				if len(open) > 0 || top.name != "" {
					return rootElement{}, fmt.Errorf("%w: more than one root element (at %s)", stores.ErrMalformed, parselimit.At(text, at))
				}
				top.name = fullName(t.Name)
				top.values = make(map[string]string, len(t.Attr))
				for _, a := range t.Attr {
					top.values[fullName(a.Name)] = a.Value
				}
			} else if len(open) == 0 {
				return rootElement{}, fmt.Errorf("%w: more than one root element (at %s)", stores.ErrMalformed, parselimit.At(text, at))
			}
			if len(open) >= parselimit.MaxDepth {
				return rootElement{}, fmt.Errorf("%w: %w", stores.ErrMalformed, parselimit.TooDeep(text, at))
			}
			open = append(open, t.Name)
			// The rest is checked byte by byte when it is simple enough (scan.go).
			if len(open) == 1 && fastScan && scanRest(text, int(dec.InputOffset()), top.name) == wellFormed {
				return top, nil
			}
		case xml.EndElement:
			// RawToken leaves tag matching to its caller.
			if len(open) == 0 || open[len(open)-1] != t.Name {
				return rootElement{}, fmt.Errorf("%w: XML syntax error on %s: an end tag that does not match the element it closes", stores.ErrMalformed, parselimit.At(text, at))
			}
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return rootElement{}, fmt.Errorf("%w: text outside the root element (at %s)", stores.ErrMalformed, parselimit.At(text, at))
			}
		}
	}
	if top.name == "" {
		return rootElement{}, fmt.Errorf("%w: no root element", stores.ErrMalformed)
	}
	if len(open) > 0 {
		return rootElement{}, fmt.Errorf("%w: XML syntax error: the file ends before the XML does (%d element(s) never closed)", stores.ErrMalformed, len(open))
	}
	return top, nil
}

func fullName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// locate finds the element's start tag in the text and checks that the attributes the
// parser saw are exactly the ones written there.
func locate(c codec, text []byte, path []int, name string, values map[string]string) (*document, error) {
	tag, err := findStartTag(text, path, len(values))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", stores.ErrMalformed, err)
	}
	if len(values) != len(tag.attrs) {
		return nil, fmt.Errorf("%w: <%s> has a repeated attribute", stores.ErrMalformed, name)
	}
	for _, a := range tag.attrs {
		if _, ok := values[a.name]; !ok {
			return nil, fmt.Errorf("%w: attribute %s of <%s> could not be located", stores.ErrMalformed, a.name, name)
		}
	}
	return &document{codec: c, text: text, tag: tag, values: values}, nil
}

// childPath lists el's index among its parent's child elements, from the root down.
func childPath(el *etree.Element) []int {
	var path []int
	for e := el; e.Parent() != nil; e = e.Parent() {
		index := 0
		for _, sib := range e.Parent().ChildElements() {
			if sib == e {
				break
			}
			index++
		}
		path = append([]int{index}, path...)
	}
	return path
}

// edited returns the file's bytes with the edits applied to the element and nothing else changed.
func (d *document) edited(edits []stores.Edit) ([]byte, error) {
	removed := map[string]bool{}
	replaced := map[string]string{}
	var added []rawAttr
	ws, quote := " ", byte('"')
	if n := len(d.tag.attrs); n > 0 {
		ws, quote = string(d.tag.attrs[n-1].ws(d.text)), d.tag.attrs[n-1].quote
	}
	quoteOf := d.tag.attrQuotes(len(edits))
	for _, e := range edits {
		own, exists := quoteOf(e.Name)
		switch {
		case e.Remove:
			if exists {
				removed[e.Name] = true
			}
		default:
			if err := checkXMLChars(e.Value.Text); err != nil {
				return nil, fmt.Errorf("value of %s: %w", e.Name, err)
			}
			if exists {
				// Escaped for the quote the value is written in, which may not be the
				// one a new attribute would get.
				replaced[e.Name] = escapeAttr(e.Value.Text, own, d.codec.maxRune)
				continue
			}
			escaped := escapeAttr(e.Value.Text, quote, d.codec.maxRune)
			if !validName(e.Name) {
				return nil, fmt.Errorf("%q is not a valid XML attribute name", e.Name)
			}
			added = append(added, rawAttr{name: e.Name, quote: quote, addedWS: ws, addedBody: e.Name + "=" + string(quote) + escaped + string(quote)})
		}
	}
	// One buffer for the whole result, sized for it: the tag's growth is at most what
	// is added or replaced, so nothing is copied twice, even for a 50 MB file.
	grow := len(d.codec.bom)
	for _, v := range replaced {
		grow += len(v) + 3
	}
	for _, a := range added {
		grow += len(a.addedWS) + len(a.addedBody)
	}
	text := make([]byte, 0, len(d.text)+grow)
	if d.codec.encode == nil {
		text = append(text, d.codec.bom...)
	}
	text = append(text, d.text[:d.tag.start]...)
	text = d.tag.appendRendered(text, d.text, removed, replaced, added)
	text = append(text, d.text[d.tag.end:]...)
	if d.codec.encode == nil {
		return text, nil
	}
	return append(append([]byte{}, d.codec.bom...), d.codec.encode(text)...), nil
}

var errBadChar = errors.New("contains a character that XML 1.0 cannot hold (a control character)")

// CheckText tells whether an attribute value can be written: XML 1.0 cannot hold a
// control character other than tab, newline and carriage return, U+FFFE, U+FFFF or
// bytes that are not UTF-8. The error never quotes the value (it may be a secret).
func CheckText(s string) error { return checkXMLChars(s) }

func checkXMLChars(s string) error {
	for i, r := range s {
		// RuneError is also what a byte that is not UTF-8 decodes to; U+FFFD written
		// out (three bytes) is a character XML holds like any other.
		invalid := r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")
		if invalid || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return errBadChar
		}
	}
	return nil
}

// nameRE is a qualified name: an optional prefix and a local part, each a name without
// a colon, as namespace-aware parsers (libxml2, Go's encoding/xml) require.
var nameRE = lazyre.New(`^[A-Za-z_][A-Za-z0-9._-]*(:[A-Za-z_][A-Za-z0-9._-]*)?$`)

func validName(s string) bool { return nameRE.MatchString(s) }
