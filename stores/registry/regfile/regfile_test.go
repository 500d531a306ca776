package regfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/plexform/plexform/stores"
)

// testdata/wine-export.reg is the output of Wine 8's `reg export` for a key holding
// every common type, a default value with quote and backslash, a long name whose hex
// data wraps, and a subkey.
func readWineExport(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/wine-export.reg")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func sz(s string) []byte { return append(utf16LE(s)[2:], 0, 0) }

func TestParseWineExport(t *testing.T) {
	f, err := Parse(readWineExport(t))
	if err != nil {
		t.Fatal(err)
	}
	long := make([]byte, 40)
	for i := range long {
		long[i] = byte(i + 1)
	}
	want := &File{Keys: []Key{
		{Path: `HKEY_CURRENT_USER\Software\Test`, Values: []Value{
			{Name: "", Type: RegSZ, Data: sz(`def"\x`)},
			{Name: "a", Type: RegSZ, Data: sz("b")},
			{Name: "a very long name here for wrapping", Type: RegBinary, Data: long},
			{Name: "bin", Type: RegBinary, Data: long},
			{Name: "e", Type: RegExpandSZ, Data: sz("%PATH%;x")},
			{Name: "m", Type: RegMultiSZ, Data: append(append(sz("a"), sz("b")...), 0, 0)},
			{Name: "q", Type: RegQWord, Data: binary.LittleEndian.AppendUint64(nil, 42)},
		}},
		{Path: `HKEY_CURRENT_USER\Software\Test\sub`, Values: []Value{
			{Name: "d", Type: RegDWord, Data: []byte{42, 0, 0, 0}},
		}},
	}}
	if d := cmp.Diff(want, f); d != "" {
		t.Errorf("parse (-want +got):\n%s", d)
	}
}

// Our encoder must write what regedit/reg.exe write, byte for byte, wrapping included.
func TestEncodeMatchesWineExport(t *testing.T) {
	orig := readWineExport(t)
	f, err := Parse(orig)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, orig) {
		t.Errorf("encode differs from reg export:\n got %q\nwant %q", decodeText(got), decodeText(orig))
	}
}

func encodeOne(t *testing.T, v Value) string {
	t.Helper()
	b, err := Encode(&File{Keys: []Key{{Path: `HKEY_CURRENT_USER\K`, Values: []Value{v}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0xFF, 0xFE}) {
		t.Fatalf("no UTF-16LE BOM")
	}
	text := decodeText(b)
	const head = Header5 + "\r\n\r\n[HKEY_CURRENT_USER\\K]\r\n"
	if !strings.HasPrefix(text, head) || !strings.HasSuffix(text, "\r\n\r\n") {
		t.Fatalf("layout: %q", text)
	}
	return strings.TrimSuffix(text[len(head):], "\r\n\r\n")
}

func TestEncodeForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Value
		want string
	}{
		{"escaped string", Value{Name: `a"b\c`, Type: RegSZ, Data: sz(`C:\x "y"`)}, `"a\"b\\c"="C:\\x \"y\""`},
		{"default value", Value{Type: RegSZ, Data: sz("v")}, `@="v"`},
		{"value named @", Value{Name: "@", Type: RegSZ, Data: sz("v")}, `"@"="v"`},
		{"empty string", Value{Name: "e", Type: RegSZ, Data: sz("")}, `"e"=""`},
		{"string without terminator", Value{Name: "n", Type: RegSZ, Data: []byte{'a', 0}}, `"n"=hex(1):61,00`},
		{"zero-length string", Value{Name: "z", Type: RegSZ}, `"z"=hex(1):`},
		{"string with a line break", Value{Name: "l", Type: RegSZ, Data: sz("a\nb")}, `"l"=hex(1):61,00,0a,00,62,00,00,00`},
		{"dword", Value{Name: "d", Type: RegDWord, Data: []byte{0x2a, 0, 0, 0}}, `"d"=dword:0000002a`},
		{"short dword", Value{Name: "d", Type: RegDWord, Data: []byte{1}}, `"d"=hex(4):01`},
		{"qword", Value{Name: "q", Type: RegQWord, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}, `"q"=hex(b):01,02,03,04,05,06,07,08`},
		{"empty binary", Value{Name: "b", Type: RegBinary}, `"b"=hex:`},
		{"none", Value{Name: "n", Type: RegNone, Data: []byte{0xff}}, `"n"=hex(0):ff`},
		{"big type", Value{Name: "x", Type: 0x20001, Data: []byte{0}}, `"x"=hex(20001):00`},
		{"delete", Value{Name: "PlexOnlineToken", Delete: true}, `"PlexOnlineToken"=-`},
		{"name with line break", Value{Name: "a\nb", Type: RegSZ, Data: sz("")}, `"a\nb"=""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := encodeOne(t, tc.v); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// Names of 77 characters or more leave no room: regedit then breaks after every byte.
func TestEncodeWrapsAfterLongName(t *testing.T) {
	name := strings.Repeat("n", 80)
	got := encodeOne(t, Value{Name: name, Type: RegBinary, Data: []byte{1, 2}})
	want := `"` + name + "\"=hex:01,\\\r\n  02"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, line := range strings.Split(encodeOne(t, Value{Name: "x", Type: RegBinary, Data: make([]byte, 300)}), "\r\n") {
		if len(line) > 80 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}
}

func TestParseVariants(t *testing.T) {
	ansi := "REGEDIT4\n\n[HKEY_CURRENT_USER\\K]\n\"s\"=\"caf\xe9 \x80\"\n\"e\"=hex(2):25,41,25,00\n"
	f, err := Parse([]byte(ansi))
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{{Name: "s", Type: RegSZ, Data: sz("café €")}, {Name: "e", Type: RegExpandSZ, Data: sz("%A%")}}
	if d := cmp.Diff(want, f.Keys[0].Values); d != "" {
		t.Errorf("REGEDIT4 (-want +got):\n%s", d)
	}

	utf8 := "\xef\xbb\xbf" + Header5 + "\n; comment\n[-HKEY_CURRENT_USER\\Gone]\n\"ignored\"=\"x\"\n" +
		"[HKCU\\K] ; trailing comment\n  \"a\" = \"1\"\n\"b\"=-\n\"h\"=hex:01,\\\n ; between\n    02,\\\n  03\n@=dword:1\n"
	f, err = Parse([]byte(utf8))
	if err != nil {
		t.Fatal(err)
	}
	wantFile := &File{Keys: []Key{
		{Path: `HKEY_CURRENT_USER\Gone`, Delete: true},
		{Path: `HKCU\K`, Values: []Value{
			{Name: "a", Type: RegSZ, Data: sz("1")},
			{Name: "b", Delete: true},
			{Name: "h", Type: RegBinary, Data: []byte{1, 2, 3}},
			{Name: "", Type: RegDWord, Data: []byte{1, 0, 0, 0}},
		}},
	}}
	if d := cmp.Diff(wantFile, f, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("UTF-8 (-want +got):\n%s", d)
	}
	if got := f.Section(KeyPath{Root: HKCU, Sub: "k"}); len(got) != 1 || got[0].Path != `HKCU\K` {
		t.Errorf("Section: %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	const secret = "tok-SECRET-123"
	for _, text := range []string{
		"",
		"hello\r\n",
		Header5 + "\r\n\"v\"=\"" + secret + "\"\r\n",
		Header5 + "\r\n[K]\r\n\"v\"=\"" + secret + "\r\n",
		Header5 + "\r\n[K]\r\n\"v\"=dword:123456789\r\n",
		Header5 + "\r\n[K]\r\n\"v\"=hex:1,2,300\r\n",
		Header5 + "\r\n[K]\r\n\"v\"=hex(zz):00\r\n",
		Header5 + "\r\n[K]\r\n\"v\"=str:\"" + secret + "\"\r\n",
		Header5 + "\r\n[K\r\n",
		Header5 + "\r\n[K]\r\n" + secret + "\r\n",
	} {
		_, err := Parse([]byte(text))
		if !errors.Is(err, stores.ErrMalformed) {
			t.Errorf("%q: error %v is not ErrMalformed", text, err)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error leaks the data: %v", err)
		}
	}
}

func randomFile(r *rand.Rand) *File {
	f := &File{}
	for range r.IntN(4) {
		k := Key{Path: `HKEY_CURRENT_USER\Software\` + randomText(r, 10), Delete: r.IntN(8) == 0}
		if strings.ContainsAny(k.Path, "\r\n\x00") || strings.TrimSpace(k.Path) != k.Path {
			k.Path = `HKEY_CURRENT_USER\Software\k`
		}
		for range r.IntN(6) {
			if k.Delete {
				break
			}
			v := Value{Name: randomText(r, 12), Type: []uint32{RegSZ, RegSZ, RegExpandSZ, RegDWord, RegQWord, RegMultiSZ, RegBinary, RegNone, uint32(r.IntN(1 << 20))}[r.IntN(9)]}
			switch {
			case r.IntN(10) == 0:
				v = Value{Name: v.Name, Delete: true}
			case v.Type == RegSZ && r.IntN(2) == 0:
				v.Data = sz(randomText(r, 30))
			case v.Type == RegDWord && r.IntN(2) == 0:
				v.Data = binary.LittleEndian.AppendUint32(nil, r.Uint32())
			default:
				v.Data = make([]byte, r.IntN(200))
				for i := range v.Data {
					v.Data[i] = byte(r.IntN(256))
				}
			}
			k.Values = append(k.Values, v)
		}
		f.Keys = append(f.Keys, k)
	}
	return f
}

func randomText(r *rand.Rand, n int) string {
	alphabet := []rune("aZ09 _-\\\"=@;[],.:%\n\r\t\x00é€😀")
	out := make([]rune, r.IntN(n))
	for i := range out {
		out[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(out)
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		f := randomFile(r)
		b, err := Encode(f)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		got, err := Parse(b)
		if err != nil {
			t.Fatalf("case %d: %v\n%q", i, err, decodeText(b))
		}
		if !sameFile(f, got) {
			t.Fatalf("case %d (-encoded +parsed):\n%s\n%q", i, cmp.Diff(f, got, cmpopts.EquateEmpty()), decodeText(b))
		}
	}
}

func FuzzParse(f *testing.F) {
	wine, err := os.ReadFile("testdata/wine-export.reg")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wine)
	f.Add([]byte("REGEDIT4\n[HKEY_LOCAL_MACHINE\\X]\n\"a\"=hex(7):61,00,00\n"))
	f.Add([]byte(Header5 + "\n[-HKCU\\X]\n[HKCU\\Y]\n@=-\n\"b\"=hex:01,\\\n  02\n"))
	f.Add([]byte(Header5 + "\r\n[K]\r\n\"a\\\"b\"=\"x\\\\y\\n\"\r\n\"d\"=dword:ffffffff\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		first, err := Parse(data)
		if err != nil {
			return
		}
		b, err := Encode(first)
		if err != nil {
			t.Fatalf("parsed file does not encode: %v", err)
		}
		second, err := Parse(b)
		if err != nil {
			t.Fatalf("encoded file does not parse: %v", err)
		}
		if !sameFile(first, second) {
			t.Fatalf("values changed through encode (-first +second):\n%s", cmp.Diff(first, second, cmpopts.EquateEmpty()))
		}
	})
}

func TestParseKeyPath(t *testing.T) {
	for in, want := range map[string]string{
		`HKCU\Software\Plex, Inc.\Plex Media Server`:               `HKEY_CURRENT_USER\Software\Plex, Inc.\Plex Media Server`,
		`HKEY_CURRENT_USER\Software\Plex, Inc.\Plex Media Server\`: `HKEY_CURRENT_USER\Software\Plex, Inc.\Plex Media Server`,
		`hkcu:\Software\X`: `HKEY_CURRENT_USER\Software\X`,
		`Microsoft.PowerShell.Core\Registry::HKEY_USERS\S-1-5-21-1\Software`: `HKEY_USERS\S-1-5-21-1\Software`,
		`HKLM\SOFTWARE`: `HKEY_LOCAL_MACHINE\SOFTWARE`,
		`HKU`:           `HKEY_USERS`,
		` HKU\.DEFAULT`: `HKEY_USERS\.DEFAULT`,
	} {
		k, err := ParseKeyPath(in)
		if err != nil || k.String() != want {
			t.Errorf("ParseKeyPath(%q) = %q, %v; want %q", in, k, err, want)
		}
	}
	for _, in := range []string{``, `Software\Plex`, `HKCR\x`, `HKCU\a\\b`, `C:\x`} {
		if k, err := ParseKeyPath(in); err == nil {
			t.Errorf("ParseKeyPath(%q) = %q, want an error", in, k)
		}
	}
	k, _ := ParseKeyPath(`HKCU\Software\Plex`)
	u, err := k.ForUser("S-1-5-21-7")
	if err != nil || u.String() != `HKEY_USERS\S-1-5-21-7\Software\Plex` {
		t.Errorf("ForUser = %q, %v", u, err)
	}
	if _, err := (KeyPath{Root: HKLM, Sub: "x"}).ForUser("S-1-5-21-7"); err == nil {
		t.Error("ForUser on HKLM should fail")
	}
	if !k.Equal(KeyPath{Root: HKCU, Sub: `SOFTWARE\plex`}) {
		t.Error("key comparison must ignore case")
	}
}

// sameFile is cmp.Equal with EquateEmpty, without reflection: fast enough for fuzzing.
func sameFile(a, b *File) bool {
	if len(a.Keys) != len(b.Keys) {
		return false
	}
	for i, ka := range a.Keys {
		kb := b.Keys[i]
		if ka.Path != kb.Path || ka.Delete != kb.Delete || len(ka.Values) != len(kb.Values) {
			return false
		}
		for j, va := range ka.Values {
			vb := kb.Values[j]
			if va.Name != vb.Name || va.Delete != vb.Delete || va.Type != vb.Type || !bytes.Equal(va.Data, vb.Data) {
				return false
			}
		}
	}
	return true
}
