package regfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/plexform/plexform/stores"
)

// Parse reads a .reg file: version 5 (UTF-16LE with BOM, as regedit and `reg export`
// write it, or UTF-8) or REGEDIT4 (ANSI), CRLF or LF, with `;` comments, `\` continuation
// lines, and `-` deletions of values and keys.
//
// Errors wrap stores.ErrMalformed and give the line number, never the line: a backup
// holds tokens.
func Parse(data []byte) (*File, error) {
	text := decodeText(data)
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	p := parser{lines: lines}
	return p.parse()
}

type parser struct {
	lines []string
	n     int // index of the line being read
	ansi  bool
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: .reg line %d: %s", stores.ErrMalformed, p.n+1, fmt.Sprintf(format, args...))
}

func (p *parser) parse() (*File, error) {
	f := &File{}
	for ; p.n < len(p.lines) && strings.TrimSpace(p.lines[p.n]) == ""; p.n++ {
	}
	if p.n == len(p.lines) {
		return nil, fmt.Errorf("%w: .reg file is empty", stores.ErrMalformed)
	}
	switch strings.TrimSpace(p.lines[p.n]) {
	case Header5:
	case Header4:
		p.ansi = true
	default:
		return nil, p.errorf("not a .reg file: the first line must be %q or %q", Header5, Header4)
	}
	var cur *Key
	for p.n++; p.n < len(p.lines); p.n++ {
		line := strings.TrimLeft(p.lines[p.n], " \t")
		switch {
		case strings.TrimSpace(line) == "" || line[0] == ';' || line[0] == '#':
		case line[0] == '[':
			end := strings.LastIndexByte(line, ']')
			if end < 0 || !blankOrComment(line[end+1:]) {
				return nil, p.errorf("key line without a closing ]")
			}
			k := Key{Path: line[1:end]}
			if strings.HasPrefix(k.Path, "-") {
				k.Path, k.Delete = k.Path[1:], true
			}
			if k.Path == "" || strings.ContainsAny(k.Path, "\r\x00") {
				return nil, p.errorf("empty key name, or a CR or NUL in it")
			}
			f.Keys = append(f.Keys, k)
			cur = &f.Keys[len(f.Keys)-1]
		case line[0] == '"' || line[0] == '@':
			if cur == nil {
				return nil, p.errorf("value before the first [key] line")
			}
			v, err := p.value(line)
			if err != nil {
				return nil, err
			}
			// regedit ignores values below a deleted key; so do we.
			if !cur.Delete {
				cur.Values = append(cur.Values, v)
			}
		default:
			return nil, p.errorf("neither a [key], a value nor a comment")
		}
	}
	return f, nil
}

func (p *parser) value(line string) (Value, error) {
	var v Value
	rest := line[1:]
	if line[0] == '"' {
		name, after, ok := unquote(rest)
		if !ok {
			return v, p.errorf("value name without a closing quote")
		}
		v.Name, rest = name, after
	}
	rest = strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(rest, "=") {
		return v, p.errorf("value name not followed by =")
	}
	rest = strings.TrimLeft(rest[1:], " \t")
	lower := strings.ToLower(rest)
	switch {
	case strings.HasPrefix(rest, "-") && blankOrComment(rest[1:]):
		v.Delete = true
	case strings.HasPrefix(rest, `"`):
		s, after, ok := unquote(rest[1:])
		if !ok || !blankOrComment(after) {
			return v, p.errorf("string data without a closing quote, or text after it")
		}
		v.Type, v.Data = RegSZ, append(utf16LE(s)[2:], 0, 0)
	case strings.HasPrefix(lower, "dword:"):
		digits, _, _ := strings.Cut(rest[len("dword:"):], ";")
		digits = strings.TrimSpace(digits)
		n, err := strconv.ParseUint(digits, 16, 32)
		if err != nil || len(digits) > 8 || strings.ContainsAny(digits, "+-xX_") {
			return v, p.errorf("dword data is not 1 to 8 hex digits")
		}
		v.Type, v.Data = RegDWord, binary.LittleEndian.AppendUint32(nil, uint32(n))
	case strings.HasPrefix(lower, "hex"):
		return p.hexValue(v, rest[len("hex"):])
	default:
		return v, p.errorf("value data is none of \"string\", dword:, hex:, hex(N): or -")
	}
	return v, nil
}

func (p *parser) hexValue(v Value, rest string) (Value, error) {
	v.Type = RegBinary
	if strings.HasPrefix(rest, "(") {
		typ, after, ok := strings.Cut(rest[1:], ")")
		n, err := strconv.ParseUint(typ, 16, 32)
		if !ok || err != nil || len(typ) > 8 || strings.ContainsAny(typ, "+-xX_") {
			return v, p.errorf("hex(N): needs N as 1 to 8 hex digits")
		}
		v.Type, rest = uint32(n), after
	}
	if !strings.HasPrefix(rest, ":") {
		return v, p.errorf("hex data without a colon")
	}
	body := p.joinContinued(rest[1:])
	body, _, _ = strings.Cut(body, ";")
	var data []byte
	tokens := strings.Split(body, ",")
	for i, t := range tokens {
		t = strings.TrimSpace(t)
		if t == "" && i == len(tokens)-1 {
			break // a trailing comma, or no data at all
		}
		b, err := strconv.ParseUint(t, 16, 8)
		if err != nil || len(t) > 2 || strings.ContainsAny(t, "+-xX_") {
			return v, p.errorf("hex data is not comma-separated bytes")
		}
		data = append(data, byte(b))
	}
	if p.ansi && (v.Type == RegSZ || v.Type == RegExpandSZ || v.Type == RegMultiSZ) {
		// REGEDIT4 stores string types as ANSI bytes; the registry holds UTF-16.
		data = utf16LE(decodeANSI(data))[2:]
	}
	v.Data = data
	return v, nil
}

// joinContinued follows `\` at the end of a line onto the next lines, which regedit
// indents; comment lines in between are skipped as regedit does.
func (p *parser) joinContinued(s string) string {
	var sb strings.Builder
	for {
		t := strings.TrimRight(s, " \t")
		if !strings.HasSuffix(t, `\`) || p.n+1 >= len(p.lines) {
			sb.WriteString(s)
			return sb.String()
		}
		sb.WriteString(t[:len(t)-1])
		for p.n++; p.n+1 < len(p.lines) && strings.HasPrefix(strings.TrimLeft(p.lines[p.n], " \t"), ";"); p.n++ {
		}
		s = strings.TrimLeft(p.lines[p.n], " \t")
	}
}

// unquote reads a regedit string up to its closing quote (s starts after the opening one)
// and returns the text and what follows the quote.
func unquote(s string) (text, rest string, ok bool) {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return sb.String(), s[i+1:], true
		case '\\':
			if i+1 == len(s) {
				return "", "", false
			}
			i++
			switch s[i] {
			case '\\', '"':
				sb.WriteByte(s[i])
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case '0':
				sb.WriteByte(0)
			default: // not an escape regedit knows: keep it as written
				sb.WriteByte('\\')
				sb.WriteByte(s[i])
			}
		default:
			sb.WriteByte(c)
		}
	}
	return "", "", false
}

func blankOrComment(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s[0] == ';'
}

// decodeText turns the file's bytes into text: UTF-16 by its BOM (or by the zero high
// bytes of a BOM-less "W"/"R"), UTF-8 with or without BOM, otherwise ANSI.
func decodeText(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2 : 2+(len(data)-2)/2*2])
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		swapped := make([]byte, (len(data)-2)/2*2)
		for i := 0; i+1 < len(swapped); i += 2 {
			swapped[i], swapped[i+1] = data[2+i+1], data[2+i]
		}
		return decodeUTF16(swapped)
	case len(data) >= 2 && data[0] != 0 && data[1] == 0:
		return decodeUTF16(data[:len(data)/2*2])
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return string(data[3:])
	case utf8.Valid(data):
		return string(data)
	default:
		return decodeANSI(data)
	}
}

// cp1252 holds the characters of Windows-1252 at 0x80..0x9F, where it differs from
// Latin-1 (0 = undefined, kept as the C1 control).
var cp1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// decodeANSI reads Windows-1252, the ANSI code page of western Windows installs; other
// code pages would need the machine's own setting, which a backup file does not carry.
func decodeANSI(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
		if c >= 0x80 && c < 0xA0 && cp1252[c-0x80] != 0 {
			r[i] = cp1252[c-0x80]
		}
	}
	return string(r)
}
