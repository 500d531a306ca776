package registry

import (
	"testing"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry/regfile"
)

func TestDecodeEncodeValues(t *testing.T) {
	for _, tc := range []struct {
		typ  uint32
		data []byte
		want stores.Value
	}{
		{regfile.RegSZ, encodeString("Plex"), stores.Value{Text: "Plex"}},
		{regfile.RegSZ, []byte{'P', 0}, stores.Value{Type: "hex(1)", Text: "5000"}},
		{regfile.RegSZ, encodeString("a\x00b"), stores.Value{Type: "hex(1)", Text: "6100000062000000"}},
		{regfile.RegExpandSZ, encodeString("%LOCALAPPDATA%"), stores.Value{Type: "REG_EXPAND_SZ", Text: "%LOCALAPPDATA%"}},
		{regfile.RegDWord, []byte{0xff, 0xff, 0xff, 0xff}, stores.Value{Type: "REG_DWORD", Text: "4294967295"}},
		{regfile.RegDWord, []byte{1, 2}, stores.Value{Type: "hex(4)", Text: "0102"}},
		{regfile.RegQWord, []byte{42, 0, 0, 0, 0, 0, 0, 0}, stores.Value{Type: "REG_QWORD", Text: "42"}},
		{regfile.RegMultiSZ, append(append(encodeString("a"), encodeString("bc")...), 0, 0), stores.Value{Type: "REG_MULTI_SZ", Text: "a\nbc"}},
		{regfile.RegMultiSZ, []byte{0, 0}, stores.Value{Type: "REG_MULTI_SZ", Text: ""}},
		{regfile.RegMultiSZ, encodeString("a"), stores.Value{Type: "hex(7)", Text: "61000000"}},
		{regfile.RegBinary, []byte{0xde, 0xad}, stores.Value{Type: "REG_BINARY", Text: "dead"}},
		{regfile.RegNone, nil, stores.Value{Type: "hex(0)", Text: ""}},
	} {
		got := DecodeValue(tc.typ, tc.data)
		if got != tc.want {
			t.Errorf("DecodeValue(%d, % x) = %+v, want %+v", tc.typ, tc.data, got, tc.want)
			continue
		}
		typ, data, err := EncodeValue(got)
		if err != nil || typ != tc.typ || string(data) != string(tc.data) {
			t.Errorf("EncodeValue(%+v) = %d, % x, %v; want the original back", got, typ, data, err)
		}
	}
}

func TestCanonical(t *testing.T) {
	for in, want := range map[stores.Value]stores.Value{
		{Type: "REG_SZ", Text: "x"}:          {Text: "x"},
		{Type: "reg_dword", Text: "0x2A"}:    {Type: "REG_DWORD", Text: "42"},
		{Type: "REG_BINARY", Text: "0A,0b"}:  {Type: "REG_BINARY", Text: "0a0b"},
		{Type: "REG_QWORD", Text: " 7 "}:     {Type: "REG_QWORD", Text: "7"},
		{Type: "hex(3)", Text: "01"}:         {Type: "REG_BINARY", Text: "01"},
		{Type: "REG_MULTI_SZ", Text: "a\nb"}: {Type: "REG_MULTI_SZ", Text: "a\nb"},
	} {
		got, err := Canonical(in)
		if err != nil || got != want {
			t.Errorf("Canonical(%+v) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []stores.Value{
		{Type: "REG_DWORD", Text: "4294967296"},
		{Type: "REG_DWORD", Text: "-1"},
		{Type: "REG_QWORD", Text: ""},
		{Type: "REG_MULTI_SZ", Text: "a\n\nb"},
		{Type: "REG_BINARY", Text: "xyz"},
		{Type: "REG_SZ", Text: "a\x00"},
		{Type: "REG_WHATEVER", Text: "1"},
	} {
		if got, err := Canonical(bad); err == nil {
			t.Errorf("Canonical(%+v) = %+v, want an error", bad, got)
		}
	}
}

func TestNewOnThisOS(t *testing.T) {
	if _, err := New(`HKCR\x`, ""); err == nil {
		t.Error("bad root accepted")
	}
}
