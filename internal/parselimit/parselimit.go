// Package parselimit holds the limits every settings parser in plexform enforces and the
// one way they report a parse error: by position, never by quoting the file, since the
// file may hold a token.
//
// plexform reads these files as root while Plex is stopped, from directories other users
// may write, so a hostile file must give an error, not a crash or a hang:
//
//   - MaxDepth: elements, arrays and dictionaries nest at most 512 deep. Plex's
//     Preferences.xml is one element and its plist one dictionary; no settings file
//     known to us nests more than a few dozen levels.
//   - MaxExpandedObjects and MaxExpandedBytes bound what a binary plist becomes once
//     its shared references are expanded into a tree: at most 1,048,576 values and
//     64 MiB of string and data payload. A binary plist may refer to one object from
//     many places, so a few hundred bytes can otherwise stand for gigabytes.
//
// XML itself expands nothing here: Go's encoding/xml does not expand entities declared in
// a DTD (an undeclared entity is an error), so a "billion laughs" file is a parse error.
// How large a file may be before it is read at all is the file opener's limit
// (stores/fileutil), not this package's.
package parselimit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

const (
	// MaxDepth is the deepest nesting of elements (XML) or containers (plists) read.
	MaxDepth = 512
	// MaxExpandedObjects is how many values a binary plist may expand to.
	MaxExpandedObjects = 1 << 20
	// MaxExpandedBytes is how many bytes of strings and data a binary plist may expand to.
	MaxExpandedBytes = 64 << 20
)

// ErrLimit marks content refused for its depth or expansion rather than its syntax.
var ErrLimit = errors.New("over plexform's parse limits")

// Position turns a byte offset into text into a 1-based line and column (in bytes).
func Position(text []byte, offset int64) (line, col int) {
	off := int(min(max(offset, 0), int64(len(text))))
	before := text[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// At spells a position for an error message: "line 3, column 14".
func At(text []byte, offset int64) string {
	line, col := Position(text, offset)
	return fmt.Sprintf("line %d, column %d", line, col)
}

// TooDeep is the error for nesting deeper than MaxDepth at offset.
func TooDeep(text []byte, offset int64) error {
	return fmt.Errorf("nesting deeper than %d levels at %s: %w (no settings file nests this deep; it is damaged or was made to crash readers)",
		MaxDepth, At(text, offset), ErrLimit)
}

// XMLError turns an error of encoding/xml at offset (the decoder's InputOffset) into one
// that names the position and the kind of mistake but no text of the file: the
// decoder's own messages quote names, entities and characters from it.
func XMLError(text []byte, offset int64, err error) error {
	return fmt.Errorf("XML syntax error on %s: %s", At(text, offset), DescribeXML(err))
}

// xmlMessages maps the start of each encoding/xml message to words that quote nothing.
// Messages that quote nothing map to themselves.
var xmlMessages = []struct{ prefix, says string }{
	{"unexpected EOF in CDATA section", "the file ends inside a CDATA section"},
	{"unexpected EOF", "the file ends before the XML does"},
	{"unexpected end element", "an end tag that closes no element"},
	{"element <", "an element is closed by another element's end tag"},
	{"expected element name after </", "an end tag without a name"},
	{"invalid characters between </", "junk inside an end tag"},
	{"expected target name after <?", "a processing instruction without a name"},
	{"xml: unsupported version", "an XML version other than 1.0"},
	{"xml: encoding", "an encoding this reader does not read"},
	{"xml: opening charset", "an encoding this reader does not read"},
	{"invalid sequence <!- not part of <!--", "a malformed comment"},
	{`invalid sequence "--" not allowed in comments`, "\"--\" inside a comment"},
	{"invalid <![ sequence", "a malformed <![ section"},
	{"expected element name after <", "a < that starts no element"},
	{"expected /> in element", "a start tag that is not closed properly"},
	{"expected attribute name in element", "a start tag with something other than an attribute in it"},
	{"attribute name without = in element", "an attribute without ="},
	{"unquoted or missing attribute value in element", "an attribute value that is not quoted"},
	{"unescaped ]]> not in CDATA section", "]]> outside a CDATA section"},
	{"unescaped < inside quoted string", "a < inside an attribute value"},
	{"invalid character entity", "an unknown or malformed entity (&...;)"},
	{"invalid UTF-8", "bytes that are not UTF-8"},
	{"illegal character code", "a character XML does not allow"},
	{"invalid XML name", "an invalid element or attribute name"},
}

// DescribeXML says what kind of mistake an encoding/xml error is, in words that quote
// nothing of the file.
func DescribeXML(err error) string {
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	for _, m := range xmlMessages {
		if strings.HasPrefix(msg, m.prefix) {
			return m.says
		}
	}
	return "the file is not well-formed XML"
}
