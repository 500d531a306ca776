package redact

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/plexform/plexform/stores/registry/regfile"
)

// A .reg file is redacted line by line in its own text: a value line that changes is
// rendered anew by regfile.Encode, and every other line keeps its bytes. A full
// Parse/Encode round trip would re-wrap hex data, drop comments and turn a REGEDIT4 file
// into version 5.

// regValue is one value line with its continuation lines: lines[first:last+1].
type regValue struct {
	first, last int
	prefix      string // `"Name"=` as written, with the blanks around the =
	value       regfile.Value
}

// regDialect is what rendering a value needs to know about the file.
type regDialect struct {
	regedit4   bool // REGEDIT4: string types in hex are ANSI bytes, not UTF-16
	singleByte bool // the text is the file's ANSI code page, not UTF-8
}

func redactReg(raw []byte, s *scrubber) ([]byte, error) {
	if _, err := regfile.Parse(raw); err != nil {
		return nil, err
	}
	c := sniffCodec(raw)
	text, err := c.decode(raw)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(text, "\n")
	header := regfile.Header5
	if strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(text, "\uFEFF")), regfile.Header4) {
		header = regfile.Header4
	}
	d := regDialect{regedit4: header == regfile.Header4, singleByte: !c.utf16 && !utf8.ValidString(text)}
	values := regValues(lines, header)
	for _, v := range values {
		if str, ok := regString(v.value); ok {
			s.collect(v.value.Name, str)
		}
	}
	replaced := make(map[int]string) // first line of a changed value -> its new text
	for _, v := range values {
		if data, change := regRedacted(s, v.value); change {
			replaced[v.first] = v.prefix + d.render(v.value.Type, data, lineEnd(lines[v.last]))
		}
	}
	var b strings.Builder
	for i := 0; i < len(lines); i++ {
		if r, ok := replaced[i]; ok {
			b.WriteString(r)
			i = lastLine(values, i)
			continue
		}
		b.WriteString(lines[i])
	}
	out := c.encode(s.rest(b.String()))
	if _, err := regfile.Parse(out); err != nil {
		return nil, errUnparsable
	}
	return out, nil
}

func lastLine(values []regValue, first int) int {
	for _, v := range values {
		if v.first == first {
			return v.last
		}
	}
	return first
}

// regValues finds the value lines and reads each with regfile's own parser, so names,
// escapes and data mean here exactly what they mean to a restore.
func regValues(lines []string, header string) []regValue {
	var out []regValue
	for i := 1; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t")
		if line == "" || (line[0] != '"' && line[0] != '@') {
			continue
		}
		first := i
		for i+1 < len(lines) && strings.HasSuffix(strings.TrimRight(lines[i], " \t\r\n"), `\`) {
			i++
			for i+1 < len(lines) && strings.HasPrefix(strings.TrimLeft(lines[i], " \t"), ";") {
				i++
			}
		}
		body := strings.Join(lines[first:i+1], "")
		f, err := regfile.Parse([]byte(header + "\r\n[X]\r\n" + body))
		if err != nil || len(f.Keys) != 1 || len(f.Keys[0].Values) != 1 {
			continue // the whole-file parse accepted it; a line it skips holds nothing to redact
		}
		out = append(out, regValue{first: first, last: i, prefix: valuePrefix(lines[first]), value: f.Keys[0].Values[0]})
	}
	return out
}

// valuePrefix is the line up to the value's data: indentation, name, blanks, =, blanks.
func valuePrefix(line string) string {
	i := len(line) - len(strings.TrimLeft(line, " \t"))
	if line[i] == '"' {
		for i++; i < len(line) && line[i] != '"'; i++ {
			if line[i] == '\\' {
				i++
			}
		}
	}
	i++
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '=') {
		i++
	}
	return line[:i]
}

func lineEnd(line string) string {
	switch {
	case strings.HasSuffix(line, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(line, "\n"):
		return "\n"
	}
	return ""
}

func isStringType(t uint32) bool {
	return t == regfile.RegSZ || t == regfile.RegExpandSZ || t == regfile.RegMultiSZ
}

// regString is a string-typed value's text without its terminating NULs (a REG_MULTI_SZ
// keeps the NULs between its strings).
func regString(v regfile.Value) (string, bool) {
	if v.Delete || !isStringType(v.Type) {
		return "", false
	}
	return strings.TrimRight(decodeUTF16LE(v.Data), "\x00"), true
}

// regRedacted returns a value's new data. Strings follow the scrubber's rule; binary data
// under a sensitive name becomes the bytes of REDACTED-<name>; numbers stay.
func regRedacted(s *scrubber, v regfile.Value) ([]byte, bool) {
	if str, ok := regString(v); ok {
		next, change := s.value(v.Name, str)
		if !change {
			return nil, false
		}
		data := append(textCodec{utf16: true}.encode(next), 0, 0)
		if v.Type == regfile.RegMultiSZ {
			data = append(data, 0, 0)
		}
		return data, true
	}
	if v.Delete || v.Type != regfile.RegBinary || len(v.Data) == 0 || !Sensitive(v.Name) {
		return nil, false
	}
	p := []byte("REDACTED-" + v.Name)
	if string(p) == string(v.Data) {
		return nil, false
	}
	s.count++
	s.noteName(v.Name)
	return p, true
}

// render spells a value's data (what follows the =) as regfile.Encode does, with the
// file's line ends and code page.
func (d regDialect) render(typ uint32, data []byte, eol string) string {
	if d.regedit4 && typ != regfile.RegSZ && isStringType(typ) {
		data = toSingleByte(decodeUTF16LE(data))
	}
	// Encode never fails on a key path like this one.
	enc, _ := regfile.Encode(&regfile.File{Keys: []regfile.Key{{Path: "X", Values: []regfile.Value{{Type: typ, Data: data}}}}})
	text := decodeUTF16LE(enc[2:])
	start := strings.Index(text, "\r\n@=") + len("\r\n@=")
	body := strings.TrimSuffix(text[start:], "\r\n\r\n")
	body = strings.ReplaceAll(body, "\r\n", eol) + eol
	if d.singleByte {
		return string(toSingleByte(body))
	}
	return body
}

func decodeUTF16LE(b []byte) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(units))
}

// toSingleByte writes text in Latin-1, the ASCII-compatible part of Windows-1252 that
// placeholders and most redacted text need; other characters become '?'.
func toSingleByte(text string) []byte {
	out := make([]byte, 0, len(text))
	for _, r := range text {
		if r > 0xFF {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}
