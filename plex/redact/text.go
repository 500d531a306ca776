package redact

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"github.com/plexform/plexform/stores"
)

// textCodec carries a text file's bytes to a Go string and back without loss. UTF-8 and
// single-byte files (ANSI .reg, Latin-1 XML) are used byte for byte: every structure and
// placeholder is ASCII, so they need no transcoding and their other bytes stay as they were.
type textCodec struct {
	bom       []byte
	utf16     bool
	bigEndian bool
}

func sniffCodec(raw []byte) textCodec {
	switch {
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}):
		return textCodec{bom: raw[:2], utf16: true}
	case bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		return textCodec{bom: raw[:2], utf16: true, bigEndian: true}
	case len(raw) >= 2 && raw[0] != 0 && raw[1] == 0:
		return textCodec{utf16: true} // a BOM-less UTF-16LE .reg file
	}
	return textCodec{}
}

func (c textCodec) order() interface {
	binary.ByteOrder
	binary.AppendByteOrder
} {
	if c.bigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// decode returns the text, or an error when the trip back would not give the same bytes
// (odd length, lone surrogates).
func (c textCodec) decode(raw []byte) (string, error) {
	if !c.utf16 {
		return string(raw), nil
	}
	body := raw[len(c.bom):]
	units := make([]uint16, len(body)/2)
	for i := range units {
		units[i] = c.order().Uint16(body[2*i:])
	}
	text := string(utf16.Decode(units))
	if !bytes.Equal(c.encode(text), raw) {
		return "", fmt.Errorf("%w: invalid UTF-16", stores.ErrMalformed)
	}
	return text, nil
}

func (c textCodec) encode(text string) []byte {
	if !c.utf16 {
		return []byte(text)
	}
	units := utf16.Encode([]rune(text))
	out := append([]byte(nil), c.bom...)
	for _, u := range units {
		out = c.order().AppendUint16(out, u)
	}
	return out
}

// scrubRest runs the scrubber's free-text pass over a whole text file.
func scrubRest(raw []byte, s *scrubber) ([]byte, error) {
	c := sniffCodec(raw)
	text, err := c.decode(raw)
	if err != nil {
		return nil, err
	}
	next := s.rest(text)
	if next == text {
		return raw, nil
	}
	return c.encode(next), nil
}
