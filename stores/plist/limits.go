package plist

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/plexform/plexform/internal/parselimit"
)

// howett.net/plist parses every form recursively and expands a binary plist's shared
// references into a tree: a deep file overflows the goroutine stack (a fatal error no
// recover catches), a deep binary one also spins in its quadratic cycle check, and a few
// hundred bytes of shared references expand to gigabytes. So each form is scanned first,
// without recursion, and refused above parselimit's limits; only then does howett see it.
//
// Each scanner reads the input as howett will (the same XML tokenizer, the same text
// tokens, the same binary object table), so what it measures is what howett would build.
// Where the two could disagree the scanner errs towards counting more.

// checkLimits refuses data whose nesting or expansion is over parselimit's limits. When
// data is XML, xmlSyntax is the positioned syntax error howett will meet, if any, so the
// caller can report that instead of howett's message (which quotes the file).
func checkLimits(data []byte) (xmlSyntax error, err error) {
	if bytes.HasPrefix(data, []byte("bplist")) {
		return nil, checkBinary(data)
	}
	isXML, xmlSyntax, err := checkXML(data)
	if err != nil {
		return nil, err
	}
	if !isXML {
		xmlSyntax = nil // howett reads it as a text plist
	}
	// howett falls back to the text parser for whatever its XML parser gives up on, so
	// every non-binary input is measured as text too.
	return xmlSyntax, checkText(data)
}

// plistElements are the elements howett's XML parser knows; a first element outside
// them makes it try the text parser instead.
var plistElements = map[string]bool{
	"plist": true, "dict": true, "array": true, "string": true, "integer": true, "real": true,
	"true": true, "false": true, "date": true, "data": true,
}

// checkXML walks data with encoding/xml as howett's XML parser does (same decoder, same
// settings) and refuses elements nested deeper than parselimit.MaxDepth.
func checkXML(data []byte) (isXML bool, syntax error, limit error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		at := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			return isXML, nil, nil
		}
		if err != nil {
			return isXML, parselimit.XMLError(data, dec.InputOffset(), err), nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 && !isXML {
				isXML = plistElements[t.Name.Local]
			}
			depth++
			if depth > parselimit.MaxDepth {
				return isXML, nil, parselimit.TooDeep(data, at)
			}
		case xml.EndElement:
			depth--
		}
	}
}

// checkText measures data as howett's text (OpenStep, GNUstep) parser tokenizes it and
// refuses dictionaries and arrays nested deeper than parselimit.MaxDepth. It stops where
// that parser would stop with an error: nothing after that point is ever nested.
func checkText(data []byte) error {
	text, ok := textOf(data)
	if !ok {
		return nil // howett refuses it before parsing
	}
	depth, i := 0, 0
	next := func() rune {
		if i >= len(text) {
			return -1
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		i += w
		return r
	}
	skipPast := func(s string) bool {
		k := strings.Index(text[i:], s)
		if k < 0 {
			return false
		}
		i += k + len(s)
		return true
	}
	for i < len(text) {
		rest := text[i:]
		switch {
		case strings.HasPrefix(rest, "//"):
			k := strings.IndexAny(rest, "\n\r")
			if k < 0 {
				return nil
			}
			i += k
			continue
		case strings.HasPrefix(rest, "/*"):
			if !skipPast("*/") {
				return nil
			}
			continue
		}
		at := i
		r := next()
		switch {
		case r < 0x100 && isTextSpace(byte(r)):
		case r == '{' || r == '(':
			depth++
			if depth > parselimit.MaxDepth {
				return parselimit.TooDeep([]byte(text), int64(at))
			}
		case r == '}' || r == ')':
			// A closer that does not match is a parse error in howett: it stops there,
			// and counting on past it only counts more.
			depth = max(depth-1, 0)
		case r == ';' || r == '=' || r == ',':
		case r == '"':
			// A backslash escapes the next character; no escape consumes a quote
			// other than the one it names.
			for {
				switch next() {
				case -1:
					return nil
				case '\\':
					next()
					continue
				case '"':
				default:
					continue
				}
				break
			}
		case r == '<':
			switch next() {
			case '[': // GNUstep base64: up to ']', then '>'
				if !skipPast("]") {
					return nil
				}
				if strings.HasPrefix(text[i:], ">") {
					i++
				}
			default: // hex data or a GNUstep value: up to '>'
				if !skipPast(">") {
					return nil
				}
			}
		case !quotable(r):
			// An unquoted string: a run of characters that need no quotes.
			for i < len(text) {
				r, w := utf8.DecodeRuneInString(text[i:])
				if quotable(r) {
					break
				}
				i += w
			}
		default:
			return nil // a character that starts no token: howett stops here
		}
	}
	return nil
}

// textOf decodes data as howett's text parser does (guessEncodingAndConvert).
func textOf(data []byte) (string, bool) {
	u16 := func(b []byte, bo binary.ByteOrder) (string, bool) {
		if len(b)%2 != 0 {
			return "", false
		}
		units := make([]uint16, len(b)/2)
		for k := range units {
			units[k] = bo.Uint16(b[2*k:])
		}
		return string(utf16.Decode(units)), true
	}
	switch {
	case len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF:
		return string(data[3:]), true
	case len(data) < 2:
	case data[0] == 0xFE && data[1] == 0xFF:
		return u16(data[2:], binary.BigEndian)
	case data[0] == 0 && data[1] != 0:
		return u16(data, binary.BigEndian)
	case data[0] == 0xFF && data[1] == 0xFE:
		return u16(data[2:], binary.LittleEndian)
	case data[0] != 0 && data[1] == 0:
		return u16(data, binary.LittleEndian)
	}
	return string(data), true
}

// isTextSpace is howett's whitespace set: \b \t \n \v \f \r and space.
func isTextSpace(c byte) bool { return c == ' ' || (c >= 8 && c <= 13) }

// quotable tells whether r must be quoted in a text plist (howett's gsQuotable): it
// ends an unquoted string. Runes above 0xFF never do.
func quotable(r rune) bool {
	if r < 0 || r > 0xFF {
		return false
	}
	if r < 0x20 || r >= 0x7F {
		return true
	}
	return strings.ContainsRune(" \"'(),;<=>[\\]`{}", r)
}

// checkBinary walks a binary plist's object graph from its top object, without
// recursion, and refuses it when the tree howett would expand it to is nested deeper than
// parselimit.MaxDepth, holds more than parselimit.MaxExpandedObjects values or more
// than parselimit.MaxExpandedBytes of strings and data, or refers to itself. Shared
// objects are measured once and counted at every reference. Errors name byte offsets.
func checkBinary(data []byte) error {
	if len(data) < 40 {
		return nil // howett refuses it: "not enough data"
	}
	b := &bplist{data: data}
	tr := data[len(data)-32:]
	b.offSize, b.refSize = int(tr[6]), int(tr[7])
	numObjects := binary.BigEndian.Uint64(tr[8:])
	top := binary.BigEndian.Uint64(tr[16:])
	b.offTable = binary.BigEndian.Uint64(tr[24:])
	trailerAt := uint64(len(data) - 32)
	switch {
	case b.offSize < 1 || b.offSize > 8 || b.refSize < 1 || b.refSize > 8:
		return fmt.Errorf("binary plist trailer: integer sizes %d and %d (CoreFoundation writes 1, 2, 4 or 8)", b.offSize, b.refSize)
	case numObjects > parselimit.MaxExpandedObjects:
		return fmt.Errorf("binary plist trailer: %d objects, more than %d: %w", numObjects, parselimit.MaxExpandedObjects, parselimit.ErrLimit)
	case b.offTable < 8 || b.offTable > trailerAt || numObjects*uint64(b.offSize) > trailerAt-b.offTable:
		return fmt.Errorf("binary plist trailer: the offset table at byte %d does not fit the file", b.offTable)
	case top >= numObjects:
		return fmt.Errorf("binary plist trailer: top object %d of %d", top, numObjects)
	}
	b.n = numObjects
	b.state = make([]byte, numObjects)
	b.count = make([]uint64, numObjects)
	b.bytes = make([]uint64, numObjects)
	b.height = make([]int32, numObjects)
	return b.walk(top)
}

type bplist struct {
	data             []byte
	offSize, refSize int
	offTable, n      uint64
	state            []byte // 0 not seen, 1 on the current path, 2 measured
	count, bytes     []uint64
	height           []int32 // containers nested inside, the object included
}

// object is what the walk needs of one object: its references and own payload.
type object struct {
	refs    uint64 // offset of the first reference
	nrefs   uint64
	payload uint64
	isColl  bool
}

// frame is one container on the walk's path.
type frame struct {
	index        uint64
	obj          object
	next         uint64 // the next reference to follow
	count, bytes uint64
	height       int32
}

func (b *bplist) walk(top uint64) error {
	var path []frame
	// visit measures index (a leaf at once) or puts it on the path.
	visit := func(index uint64) (done bool, err error) {
		if b.state[index] == 1 {
			return false, fmt.Errorf("binary plist: object %d contains itself", index)
		}
		if b.state[index] == 2 {
			return true, nil
		}
		o, err := b.object(index)
		if err != nil {
			return false, err
		}
		if !o.isColl {
			b.state[index], b.count[index], b.bytes[index] = 2, 1, o.payload
			return true, nil
		}
		if len(path) >= parselimit.MaxDepth {
			return false, fmt.Errorf("binary plist: containers nested deeper than %d levels (object %d): %w", parselimit.MaxDepth, index, parselimit.ErrLimit)
		}
		b.state[index] = 1
		path = append(path, frame{index: index, obj: o, count: 1, bytes: o.payload, height: 1})
		return false, nil
	}
	// add counts a measured child into the container on top of the path.
	add := func(child uint64) error {
		f := &path[len(path)-1]
		f.count += b.count[child]
		f.bytes += b.bytes[child]
		f.height = max(f.height, b.height[child]+1)
		switch {
		case f.count > parselimit.MaxExpandedObjects:
			return fmt.Errorf("binary plist: object %d expands to more than %d values (shared references count each time): %w", f.index, parselimit.MaxExpandedObjects, parselimit.ErrLimit)
		case f.bytes > parselimit.MaxExpandedBytes:
			return fmt.Errorf("binary plist: object %d expands to more than %d MiB of strings and data (shared references count each time): %w", f.index, parselimit.MaxExpandedBytes>>20, parselimit.ErrLimit)
		case len(path)-1+int(f.height) > parselimit.MaxDepth:
			return fmt.Errorf("binary plist: containers nested deeper than %d levels (object %d): %w", parselimit.MaxDepth, f.index, parselimit.ErrLimit)
		}
		return nil
	}
	if done, err := visit(top); done || err != nil {
		return err
	}
	for len(path) > 0 {
		f := &path[len(path)-1]
		if f.next == f.obj.nrefs {
			b.state[f.index], b.count[f.index], b.bytes[f.index], b.height[f.index] = 2, f.count, f.bytes, f.height
			path = path[:len(path)-1]
			if len(path) > 0 {
				if err := add(f.index); err != nil {
					return err
				}
			}
			continue
		}
		at := f.obj.refs + f.next*uint64(b.refSize)
		f.next++
		child, err := b.uint(at, b.refSize)
		if err != nil {
			return err
		}
		if child >= b.n {
			return fmt.Errorf("binary plist: object %d refers to object %d, of %d", f.index, child, b.n)
		}
		done, err := visit(child)
		if err != nil {
			return err
		}
		if done {
			if err := add(child); err != nil {
				return err
			}
		}
	}
	return nil
}

var errTruncated = errors.New("binary plist: an object runs past the object table")

// uint reads an n-byte big-endian integer at off, inside the object data.
func (b *bplist) uint(off uint64, n int) (uint64, error) {
	if off > b.offTable || uint64(n) > b.offTable-off {
		return 0, errTruncated
	}
	var v uint64
	for _, c := range b.data[off : off+uint64(n)] {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// object reads the header of object index as howett's parseTagAtOffset does.
func (b *bplist) object(index uint64) (object, error) {
	offAt := b.offTable + index*uint64(b.offSize)
	var off uint64
	for _, c := range b.data[offAt : offAt+uint64(b.offSize)] {
		off = off<<8 | uint64(c)
	}
	if off >= b.offTable {
		return object{}, fmt.Errorf("binary plist: object %d starts at byte %d, past the object table", index, off)
	}
	tag := b.data[off]
	// count is the length that follows a tag: its low nibble, or an integer object after
	// it when the nibble is 0xF.
	count := func() (n, start uint64, err error) {
		n, start = uint64(tag&0x0F), off+1
		if n != 0x0F {
			return n, start, nil
		}
		if start >= b.offTable || b.data[start]&0xF0 != 0x10 {
			return 0, 0, fmt.Errorf("binary plist: object %d at byte %d has a malformed length", index, off)
		}
		size := 1 << (b.data[start] & 0x0F)
		if size == 16 { // a 128-bit length: howett keeps the low half
			start += 8
			size = 8
		}
		if size > 8 {
			return 0, 0, fmt.Errorf("binary plist: object %d at byte %d has a malformed length", index, off)
		}
		n, err = b.uint(start+1, size)
		return n, start + 1 + uint64(size), err
	}
	switch tag & 0xF0 {
	case 0x40, 0x50, 0x60: // data, ASCII string, UTF-16 string
		n, _, err := count()
		if err != nil {
			return object{}, err
		}
		if n > b.offTable/2 { // also keeps the doubling below from overflowing
			return object{}, fmt.Errorf("binary plist: object %d at byte %d is longer than the file", index, off)
		}
		if tag&0xF0 == 0x60 {
			n *= 2
		}
		return object{payload: n}, nil
	case 0xA0, 0xD0: // array, dictionary (keys then values)
		n, start, err := count()
		if err != nil {
			return object{}, err
		}
		if tag&0xF0 == 0xD0 {
			n *= 2
		}
		if n > (b.offTable-start)/uint64(b.refSize) {
			return object{}, fmt.Errorf("binary plist: object %d at byte %d lists more references than fit", index, off)
		}
		return object{refs: start, nrefs: n, isColl: true}, nil
	}
	return object{payload: 8}, nil // a number, date, bool, UID: fixed size
}
