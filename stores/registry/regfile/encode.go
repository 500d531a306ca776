package regfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

// maxHexLine is where regedit (and Wine's reg.exe, which copies it) breaks hex data: once
// a line reaches 77 characters it ends with `\` and the data goes on after two spaces.
const maxHexLine = 77

// Encode writes f as regedit exports: version 5 header, UTF-16LE with BOM, CRLF, hex data
// wrapped at 80 columns, a blank line after every key.
//
// A REG_SZ is written as a quoted string only when importing that string gives back the
// very same bytes; otherwise (no terminator, odd length, embedded NUL or line break) it is
// written as hex(1), which regedit imports exactly. The same goes for dword: and hex(4).
func Encode(f *File) ([]byte, error) {
	var sb strings.Builder
	sb.WriteString(Header5 + "\r\n")
	for _, k := range f.Keys {
		if k.Path == "" || strings.ContainsAny(k.Path, "\r\n\x00") || (!k.Delete && strings.HasPrefix(k.Path, "-")) {
			return nil, fmt.Errorf("encode .reg: key %q cannot be written in a .reg file", k.Path)
		}
		sb.WriteString("\r\n[")
		if k.Delete {
			sb.WriteString("-")
		}
		sb.WriteString(k.Path + "]\r\n")
		if k.Delete {
			continue
		}
		for _, v := range k.Values {
			writeValue(&sb, v)
		}
	}
	sb.WriteString("\r\n")
	return utf16LE(sb.String()), nil
}

func utf16LE(s string) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 2+2*len(units))
	out[0], out[1] = 0xFF, 0xFE
	for i, u := range units {
		binary.LittleEndian.PutUint16(out[2+2*i:], u)
	}
	return out
}

func writeValue(sb *strings.Builder, v Value) {
	name := "@"
	if v.Name != "" {
		name = `"` + escape(v.Name) + `"`
	}
	sb.WriteString(name + "=")
	switch {
	case v.Delete:
		sb.WriteString("-")
	case v.Type == RegSZ && stringRoundTrips(v.Data):
		sb.WriteString(`"` + escape(decodeUTF16(v.Data[:len(v.Data)-2])) + `"`)
	case v.Type == RegDWord && len(v.Data) == 4:
		fmt.Fprintf(sb, "dword:%08x", binary.LittleEndian.Uint32(v.Data))
	default:
		prefix := "hex:"
		if v.Type != RegBinary {
			prefix = fmt.Sprintf("hex(%x):", v.Type)
		}
		sb.WriteString(prefix)
		writeHex(sb, len(utf16.Encode([]rune(name)))+1+len(prefix), v.Data)
	}
	sb.WriteString("\r\n")
}

// writeHex writes data as comma-separated bytes the way regedit wraps them; lineLen is
// how many characters the line already holds.
func writeHex(sb *strings.Builder, lineLen int, data []byte) {
	for i, b := range data {
		fmt.Fprintf(sb, "%02x", b)
		if i == len(data)-1 {
			break
		}
		sb.WriteByte(',')
		lineLen += 3
		if lineLen >= maxHexLine {
			sb.WriteString("\\\r\n  ")
			lineLen = 2
		}
	}
}

// escape is regedit's escaping of names and strings. Line breaks and NUL never reach here
// in string data (see stringRoundTrips); in names they get Wine's escapes, since a raw
// line break would end the line.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", `\r`, "\n", `\n`, "\x00", `\0`).Replace(s)
}

// stringRoundTrips tells whether REG_SZ data survives being written as "..." and read
// back: UTF-16 with exactly one NUL, at the end, no line breaks, no lone surrogates.
func stringRoundTrips(data []byte) bool {
	if len(data) < 2 || len(data)%2 != 0 {
		return false
	}
	body := data[:len(data)-2]
	if data[len(data)-2] != 0 || data[len(data)-1] != 0 {
		return false
	}
	s := decodeUTF16(body)
	if strings.ContainsAny(s, "\x00\r\n") {
		return false
	}
	return bytes.Equal(utf16LE(s)[2:], body)
}

func decodeUTF16(b []byte) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(units))
}
