package registry

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry/regfile"
)

// Type names in stores.Value.Type. REG_SZ is the default string type and reads as "".
const (
	TypeSZ       = ""
	TypeExpandSZ = "REG_EXPAND_SZ"
	TypeDWord    = "REG_DWORD"
	TypeQWord    = "REG_QWORD"
	TypeMultiSZ  = "REG_MULTI_SZ"
	TypeBinary   = "REG_BINARY"
)

// DecodeValue renders raw registry data as a stores.Value:
//
//	REG_SZ         Type "",              Text the string
//	REG_EXPAND_SZ  Type "REG_EXPAND_SZ", Text the string, unexpanded
//	REG_DWORD      Type "REG_DWORD",     Text decimal
//	REG_QWORD      Type "REG_QWORD",     Text decimal
//	REG_MULTI_SZ   Type "REG_MULTI_SZ",  Text the strings joined by "\n"
//	REG_BINARY     Type "REG_BINARY",    Text lowercase hex, no separators
//
// Any other type, and data that does not have its type's usual shape (a REG_SZ without
// terminator, a 3-byte REG_DWORD...), reads as Type "hex(N)" (N the type number in hex,
// as in a .reg file) with the data in hex, so that Text always describes the data exactly.
func DecodeValue(typ uint32, data []byte) stores.Value {
	switch typ {
	case regfile.RegSZ, regfile.RegExpandSZ:
		if s, ok := decodeString(data); ok && !strings.ContainsRune(s, 0) {
			return stores.Value{Type: map[uint32]string{regfile.RegSZ: TypeSZ, regfile.RegExpandSZ: TypeExpandSZ}[typ], Text: s}
		}
	case regfile.RegDWord:
		if len(data) == 4 {
			return stores.Value{Type: TypeDWord, Text: strconv.FormatUint(uint64(binary.LittleEndian.Uint32(data)), 10)}
		}
	case regfile.RegQWord:
		if len(data) == 8 {
			return stores.Value{Type: TypeQWord, Text: strconv.FormatUint(binary.LittleEndian.Uint64(data), 10)}
		}
	case regfile.RegMultiSZ:
		if lines, ok := decodeMulti(data); ok {
			return stores.Value{Type: TypeMultiSZ, Text: strings.Join(lines, "\n")}
		}
	case regfile.RegBinary:
		return stores.Value{Type: TypeBinary, Text: hex.EncodeToString(data)}
	}
	return stores.Value{Type: fmt.Sprintf("hex(%x)", typ), Text: hex.EncodeToString(data)}
}

// EncodeValue is the inverse of DecodeValue. It also accepts "REG_SZ" for the default
// type, any case in type names, 0x-prefixed hex for DWORD/QWORD, and commas or spaces
// between hex bytes, so plan files can be written naturally.
func EncodeValue(v stores.Value) (typ uint32, data []byte, err error) {
	name := strings.ToUpper(v.Type)
	switch name {
	case TypeSZ, "REG_SZ", TypeExpandSZ:
		if strings.ContainsRune(v.Text, 0) {
			return 0, nil, fmt.Errorf("a %s cannot hold a NUL character", typeLabel(v.Type))
		}
		typ = regfile.RegSZ
		if name == TypeExpandSZ {
			typ = regfile.RegExpandSZ
		}
		return typ, encodeString(v.Text), nil
	case TypeDWord, TypeQWord:
		bits := 32
		if name == TypeQWord {
			bits = 64
		}
		n, err := parseNumber(v.Text, bits)
		if err != nil {
			return 0, nil, fmt.Errorf("%s value: %w", name, err)
		}
		if bits == 32 {
			return regfile.RegDWord, binary.LittleEndian.AppendUint32(nil, uint32(n)), nil
		}
		return regfile.RegQWord, binary.LittleEndian.AppendUint64(nil, n), nil
	case TypeMultiSZ:
		return encodeMulti(v.Text)
	case TypeBinary:
		data, err := parseHex(v.Text)
		return regfile.RegBinary, data, err
	}
	if n, ok := strings.CutPrefix(name, "HEX("); ok && strings.HasSuffix(n, ")") {
		t, err := strconv.ParseUint(strings.TrimSuffix(n, ")"), 16, 32)
		if err == nil {
			data, err := parseHex(v.Text)
			return uint32(t), data, err
		}
	}
	return 0, nil, fmt.Errorf("unknown registry type %q: use REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_QWORD, REG_MULTI_SZ, REG_BINARY or hex(N)", v.Type)
}

// Canonical returns v as Read would report it once written, so a plan can compare its
// `set` values with what the store holds ("0x2A" and "42" are the same REG_DWORD).
func Canonical(v stores.Value) (stores.Value, error) {
	typ, data, err := EncodeValue(v)
	if err != nil {
		return stores.Value{}, err
	}
	return DecodeValue(typ, data), nil
}

func typeLabel(t string) string {
	if t == "" {
		return "REG_SZ"
	}
	return t
}

func parseNumber(s string, bits int) (uint64, error) {
	s = strings.TrimSpace(s)
	base := 10
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		s, base = h, 16
	}
	if s == "" || strings.ContainsAny(s, "+-_") {
		return 0, fmt.Errorf("not an unsigned %d-bit number (decimal, or hex with 0x)", bits)
	}
	n, err := strconv.ParseUint(s, base, bits)
	if err != nil {
		return 0, fmt.Errorf("not an unsigned %d-bit number (decimal, or hex with 0x)", bits)
	}
	return n, nil
}

func parseHex(s string) ([]byte, error) {
	clean := strings.NewReplacer(",", "", " ", "", "\t", "", "\n", "", "\r", "").Replace(s)
	data, err := hex.DecodeString(clean)
	if err != nil {
		return nil, fmt.Errorf("binary data must be hex bytes (e.g. 0a1b2c or 0a,1b,2c)")
	}
	return data, nil
}

func encodeString(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

// decodeString reads terminated UTF-16 that encodeString would write back identically.
func decodeString(data []byte) (string, bool) {
	if len(data) < 2 || len(data)%2 != 0 {
		return "", false
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = binary.LittleEndian.Uint16(data[2*i:])
	}
	s := string(utf16.Decode(units[:len(units)-1]))
	return s, bytes.Equal(encodeString(s), data)
}

// encodeMulti writes each line NUL-terminated plus the final NUL; no lines is a lone
// NUL, which is what Windows itself writes for an empty REG_MULTI_SZ.
func encodeMulti(text string) (uint32, []byte, error) {
	if text == "" {
		return regfile.RegMultiSZ, []byte{0, 0}, nil
	}
	var data []byte
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.ContainsRune(line, 0) {
			return 0, nil, fmt.Errorf("REG_MULTI_SZ cannot hold an empty string or NUL (lines are separated by \\n)")
		}
		data = append(data, encodeString(line)...)
	}
	return regfile.RegMultiSZ, append(data, 0, 0), nil
}

func decodeMulti(data []byte) ([]string, bool) {
	if bytes.Equal(data, []byte{0, 0}) {
		return nil, true
	}
	s, ok := decodeString(data)
	if !ok || !strings.HasSuffix(s, "\x00") {
		return nil, false
	}
	lines := strings.Split(strings.TrimSuffix(s, "\x00"), "\x00")
	for _, l := range lines {
		if l == "" || strings.Contains(l, "\n") {
			return nil, false
		}
	}
	_, again, err := encodeMulti(strings.Join(lines, "\n"))
	return lines, err == nil && bytes.Equal(again, data)
}
