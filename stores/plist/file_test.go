package plist

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"howett.net/plist"

	"github.com/plexform/plexform/stores"
)

var signInKeys = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

// resetEdits is what the Plex reset plan asks, plus two sets of different kinds.
func resetEdits() []stores.Edit {
	var edits []stores.Edit
	for _, k := range signInKeys {
		edits = append(edits, stores.Edit{Name: k, Remove: true})
	}
	return append(edits,
		stores.Edit{Name: "FriendlyName", Value: stores.Value{Text: "salon ü"}},
		stores.Edit{Name: "NewPort", Value: stores.Value{Type: TypeInteger, Text: "32401"}})
}

// expectedAfterReset is before as plistlib reads it, changed as resetEdits says.
func expectedAfterReset(before map[string]any) map[string]any {
	want := make(map[string]any, len(before))
	for k, v := range before {
		want[k] = v
	}
	for _, k := range signInKeys {
		delete(want, k)
	}
	want["FriendlyName"] = map[string]any{"s": "salon ü"}
	want["NewPort"] = map[string]any{"i": "32401"}
	return want
}

func TestFixturesHoldEveryType(t *testing.T) {
	// The cross-checks below are only as good as the fixtures: make sure the
	// independent writer really put every kind of value in them.
	for _, name := range []string{"prefs.binary.plist", "prefs.xml.plist"} {
		got := readWithPython(t, filepath.Join("testdata", name))
		for key, want := range map[string]any{
			"BigUnsigned":       map[string]any{"i": "18446744073709551615"},
			"NegativeBig":       map[string]any{"i": "-9007199254740993"},
			"TranscoderQuality": map[string]any{"r": "2.5"},
			"PlexOnlineHome":    map[string]any{"b": true},
			"LastUpdateCheck":   map[string]any{"d": "2024-03-09T17:45:12"},
		} {
			if d := diff(want, got[key]); d != "" {
				t.Errorf("%s %s (-want +got):\n%s", name, key, d)
			}
		}
		for _, key := range []string{"Blob", "Nested", "List", "PlexOnlineUsername"} {
			if _, ok := got[key]; !ok {
				t.Errorf("%s lacks %s", name, key)
			}
		}
	}
}

func TestWriteKeepsEverythingElse(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		format  int
	}{
		{"prefs.binary.plist", plist.BinaryFormat},
		{"prefs.xml.plist", plist.XMLFormat},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			path := fixture(t, tc.fixture)
			want := expectedAfterReset(readWithPython(t, path))

			err := NewFile(path).Write(context.Background(), resetEdits())
			if err != nil {
				t.Fatal(err)
			}

			if d := diff(want, readWithPython(t, path)); d != "" {
				t.Errorf("plistlib reads (-want +got):\n%s", d)
			}
			if d := diff(wholeSeconds(want), readWithPlistutil(t, path)); d != "" {
				t.Errorf("plistutil reads (-want +got):\n%s", d)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if format, err := plist.Unmarshal(data, &v); err != nil || format != tc.format {
				t.Errorf("format after write = %s, %v; want %s", formatName(format), err, formatName(tc.format))
			}
			if tc.format == plist.BinaryFormat && !bytes.HasPrefix(data, []byte("bplist00")) {
				t.Errorf("binary plist lost its bplist00 magic")
			}
		})
	}
}

func TestXMLWriteChangesOnlyTheEditedLines(t *testing.T) {
	path := fixture(t, "prefs.xml.plist")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := NewFile(path).Write(context.Background(), resetEdits()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// Build the expected text by hand from the original lines.
	lines := strings.SplitAfter(string(orig), "\n")
	var want strings.Builder
	lastDict := -1
	for i, l := range lines {
		if l == "</dict>\n" {
			lastDict = i
		}
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		removed := false
		for _, k := range signInKeys {
			if l == "\t<key>"+k+"</key>\n" {
				i++ // and its value line
				removed = true
			}
		}
		if removed {
			continue
		}
		if i == lastDict {
			want.WriteString("\t<key>NewPort</key>\n\t<integer>32401</integer>\n")
		}
		if i > 0 && lines[i-1] == "\t<key>FriendlyName</key>\n" {
			l = "\t<string>salon ü</string>\n"
		}
		want.WriteString(l)
	}
	if d := diff(want.String(), string(got)); d != "" {
		t.Errorf("XML text (-want +got):\n%s", d)
	}
}

func TestWriteIsIdempotent(t *testing.T) {
	for _, name := range []string{"prefs.binary.plist", "prefs.xml.plist"} {
		t.Run(name, func(t *testing.T) {
			path := fixture(t, name)
			f := NewFile(path)
			if err := f.Write(context.Background(), resetEdits()); err != nil {
				t.Fatal(err)
			}
			past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := os.Chtimes(path, past, past); err != nil {
				t.Fatal(err)
			}
			first, _ := os.ReadFile(path)
			if err := f.Write(context.Background(), resetEdits()); err != nil {
				t.Fatal(err)
			}
			assertUntouched(t, path, first, past)
		})
	}
}

func assertUntouched(t *testing.T, path string, data []byte, mtime time.Time) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("%s changed", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(mtime) {
		t.Errorf("%s mtime changed to %v", path, fi.ModTime())
	}
}

func TestCorruptFileIsAnErrorAndLeftAlone(t *testing.T) {
	bin, _ := os.ReadFile("testdata/prefs.binary.plist")
	xml, _ := os.ReadFile("testdata/prefs.xml.plist")
	for name, data := range map[string][]byte{
		"binary truncated":  bin[:len(bin)/2],
		"binary no trailer": bin[:len(bin)-10],
		"xml truncated":     xml[:len(xml)/2],
		"xml bad integer":   bytes.Replace(xml, []byte("<integer>32400<"), []byte("<integer>"+fakeToken+"<"), 1),
		"empty":             {},
		"garbage":           []byte("\x00\x01\x02not a plist at all\xff"),
		"top-level array":   []byte(`<?xml version="1.0"?><plist version="1.0"><array><string>x</string></array></plist>`),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.plist")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := os.Chtimes(path, past, past); err != nil {
				t.Fatal(err)
			}
			f := NewFile(path)
			_, err := f.Read(context.Background())
			if !errors.Is(err, stores.ErrMalformed) {
				t.Errorf("Read error = %v; want ErrMalformed", err)
			}
			assertNoToken(t, err)
			err = f.Write(context.Background(), resetEdits())
			if !errors.Is(err, stores.ErrMalformed) || !strings.Contains(err.Error(), path) {
				t.Errorf("Write error = %v; want ErrMalformed naming the file", err)
			}
			assertNoToken(t, err)
			assertUntouched(t, path, data, past)
		})
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.plist")
	f := NewFile(path)
	st, err := f.Read(context.Background())
	if err != nil || st.Exists {
		t.Errorf("Read = %+v, %v; want not existing, no error", st, err)
	}
	if err := f.Write(context.Background(), []stores.Edit{{Name: "PlexOnlineToken", Remove: true}}); err != nil {
		t.Errorf("removing from a missing file: %v", err)
	}
	if err := f.Write(context.Background(), []stores.Edit{{Name: "A", Value: stores.Value{Text: "b"}}}); err == nil {
		t.Errorf("setting in a missing file succeeded")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file appeared: %v", err)
	}
	if _, err := f.Snapshot(context.Background()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Snapshot error = %v; want ErrNotExist", err)
	}
}

func TestSetEveryType(t *testing.T) {
	edits := []stores.Edit{
		{Name: "S", Value: stores.Value{Text: "x & <y> ☃"}},
		{Name: "I", Value: stores.Value{Type: TypeInteger, Text: "-7"}},
		{Name: "U", Value: stores.Value{Type: TypeInteger, Text: "18446744073709551615"}},
		{Name: "R", Value: stores.Value{Type: TypeReal, Text: "0.1"}},
		{Name: "B", Value: stores.Value{Type: TypeBool, Text: "yes"}},
		{Name: "D", Value: stores.Value{Type: TypeDate, Text: "2024-03-09T18:45:12+01:00"}},
		{Name: "X", Value: stores.Value{Type: TypeData, Text: "AP8="}},
	}
	want := map[string]any{
		"S": map[string]any{"s": "x & <y> ☃"},
		"I": map[string]any{"i": "-7"},
		"U": map[string]any{"i": "18446744073709551615"},
		"R": map[string]any{"r": "0.1"},
		"B": map[string]any{"b": true},
		"D": map[string]any{"d": "2024-03-09T17:45:12"},
		"X": map[string]any{"x": "AP8="},
	}
	for _, name := range []string{"prefs.binary.plist", "prefs.xml.plist"} {
		t.Run(name, func(t *testing.T) {
			path := fixture(t, name)
			if err := NewFile(path).Write(context.Background(), edits); err != nil {
				t.Fatal(err)
			}
			got := readWithPython(t, path)
			for k, w := range want {
				if d := diff(w, got[k]); d != "" {
					t.Errorf("%s (-want +got):\n%s", k, d)
				}
			}
			st, err := NewFile(path).Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if v := st.Values["D"]; v != (stores.Value{Type: TypeDate, Text: "2024-03-09T17:45:12Z"}) {
				t.Errorf("D reads as %+v", v)
			}
			if v := st.Values["B"]; v != (stores.Value{Type: TypeBool, Text: "true"}) {
				t.Errorf("B reads as %+v", v)
			}
		})
	}
}

func TestSetRejectsBadValuesWithoutQuotingThem(t *testing.T) {
	for _, v := range []stores.Value{
		{Type: TypeInteger, Text: fakeToken},
		{Type: TypeReal, Text: fakeToken},
		{Type: TypeBool, Text: fakeToken},
		{Type: TypeDate, Text: fakeToken},
		{Type: TypeData, Text: fakeToken + "!"},
		{Type: TypeDict, Text: fakeToken},
		{Type: "REG_SZ", Text: fakeToken},
	} {
		path := fixture(t, "prefs.xml.plist")
		orig, _ := os.ReadFile(path)
		err := NewFile(path).Write(context.Background(), []stores.Edit{{Name: "PlexOnlineToken", Remove: true}, {Name: "K", Value: v}})
		if err == nil || !strings.Contains(err.Error(), "K") {
			t.Errorf("type %q: error %v; want one naming the key", v.Type, err)
		}
		assertNoToken(t, err)
		if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
			t.Errorf("type %q: the file changed", v.Type)
		}
	}
}

func TestReadValues(t *testing.T) {
	st, err := NewFile("testdata/prefs.binary.plist").Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]stores.Value{
		"FriendlyName":   {Text: "den"},
		"BigUnsigned":    {Type: TypeInteger, Text: "18446744073709551615"},
		"NegativeOffset": {Type: TypeInteger, Text: "-42"},
		"Ratio":          {Type: TypeReal, Text: "0.1"},
		"PlexOnlineHome": {Type: TypeBool, Text: "true"},
		"PreciseDate":    {Type: TypeDate, Text: "2024-03-09T17:45:12.345678Z"},
		"Nested":         {Type: TypeDict, Text: `{"Bytes": data("AP8="), "Inner": {"Deep": [1, "two", 3.0, false]}, "When": date("1999-12-31T23:59:59Z")}`},
		"List":           {Type: TypeArray, Text: `["a", 1, -1, 1.5, true, data("eHk="), {"k": "v"}, []]`},
	} {
		if got := st.Values[k]; got != want {
			t.Errorf("%s = %+v; want %+v", k, got, want)
		}
	}
}

func TestFloat32StaysFloat32(t *testing.T) {
	// plistlib writes only 8-byte reals; CoreFoundation also writes 4-byte ones.
	data, err := plist.Marshal(map[string]any{"F": float32(1.5), "Drop": "x"}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f.plist")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NewFile(path).Write(context.Background(), []stores.Edit{{Name: "Drop", Remove: true}}); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(path)
	var got map[string]any
	if _, err := plist.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["F"].(float32); !ok || len(got) != 1 {
		t.Errorf("after write: %#v; want only F as a 4-byte real", got)
	}
	if d := diff(map[string]any{"F": map[string]any{"r": "1.5"}}, readWithPlistutil(t, path)); d != "" {
		t.Errorf("plistutil reads (-want +got):\n%s", d)
	}
}

func TestTextFormatsStayText(t *testing.T) {
	for name, tc := range map[string]struct {
		src    string
		format int
		want   map[string]stores.Value
	}{
		"openstep": {`{ PlexOnlineToken = "` + fakeToken + `"; Name = "den"; Port = 32400; Blob = <00ff>; L = (a, b); }`,
			plist.OpenStepFormat, map[string]stores.Value{
				"Name": {Text: "den"}, "Port": {Text: "32400"}, "Blob": {Type: TypeData, Text: "AP8="},
				"L": {Type: TypeArray, Text: `["a", "b"]`}}},
		"gnustep": {`{ PlexOnlineToken = "` + fakeToken + `"; Name = den; Port = <*I32400>; Ok = <*BY>; R = <*R2.5>; }`,
			plist.GNUStepFormat, map[string]stores.Value{
				"Name": {Text: "den"}, "Port": {Type: TypeInteger, Text: "32400"},
				"Ok": {Type: TypeBool, Text: "true"}, "R": {Type: TypeReal, Text: "2.5"}}},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.plist")
			if err := os.WriteFile(path, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			f := NewFile(path)
			if err := f.Write(context.Background(), []stores.Edit{{Name: "PlexOnlineToken", Remove: true}}); err != nil {
				t.Fatal(err)
			}
			out, _ := os.ReadFile(path)
			var v any
			if format, err := plist.Unmarshal(out, &v); err != nil || format != tc.format {
				t.Errorf("format after write = %s, %v; want %s", formatName(format), err, formatName(tc.format))
			}
			st, err := f.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tc.want, st.Values); d != "" {
				t.Errorf("values (-want +got):\n%s", d)
			}
		})
	}
}

func TestOpenStepRefusesTypedSet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.plist")
	src := []byte(`{ Name = den; }`)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	err := NewFile(path).Write(context.Background(), []stores.Edit{{Name: "Port", Value: stores.Value{Type: TypeInteger, Text: "1"}}})
	if err == nil || !strings.Contains(err.Error(), "OpenStep") {
		t.Errorf("error = %v; want one explaining OpenStep holds only strings", err)
	}
}

func TestOtherWritersAndLayouts(t *testing.T) {
	xmlFixture, err := os.ReadFile("testdata/prefs.xml.plist")
	if err != nil {
		t.Fatal(err)
	}
	oneLine := regexp.MustCompile(`>\s+<`).ReplaceAll(xmlFixture, []byte("><"))
	for name, create := range map[string]func(t *testing.T, path string){
		"libplist binary": func(t *testing.T, path string) {
			pu := needTool(t, "plistutil")
			if out, err := exec.Command(pu, "-i", "testdata/prefs.xml.plist", "-o", path, "-f", "bin").CombinedOutput(); err != nil {
				t.Fatalf("plistutil: %v %s", err, out)
			}
		},
		"libplist xml": func(t *testing.T, path string) {
			pu := needTool(t, "plistutil")
			if out, err := exec.Command(pu, "-i", "testdata/prefs.binary.plist", "-o", path, "-f", "xml").CombinedOutput(); err != nil {
				t.Fatalf("plistutil: %v %s", err, out)
			}
		},
		"xml crlf": func(t *testing.T, path string) {
			writeFile(t, path, bytes.ReplaceAll(xmlFixture, []byte("\n"), []byte("\r\n")))
		},
		"xml one line": func(t *testing.T, path string) { writeFile(t, path, oneLine) },
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.plist")
			create(t, path)
			orig, _ := os.ReadFile(path)
			want := expectedAfterReset(readWithPython(t, path))
			if err := NewFile(path).Write(context.Background(), resetEdits()); err != nil {
				t.Fatal(err)
			}
			if d := diff(want, readWithPython(t, path)); d != "" {
				t.Errorf("plistlib reads (-want +got):\n%s", d)
			}
			got, _ := os.ReadFile(path)
			if bytes.HasPrefix(orig, []byte("bplist00")) != bytes.HasPrefix(got, []byte("bplist00")) {
				t.Errorf("format changed")
			}
			if bytes.Contains(orig, []byte("\r\n")) && bytes.Count(got, []byte("\n")) != bytes.Count(got, []byte("\r\n")) {
				t.Errorf("CRLF file got bare LF line ends")
			}
			if name == "xml one line" && bytes.Count(got, []byte("\n")) != bytes.Count(orig, []byte("\n")) {
				t.Errorf("one-line XML gained or lost line breaks")
			}
		})
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
