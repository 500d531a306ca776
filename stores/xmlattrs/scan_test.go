package xmlattrs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/bench/fixture"
)

// The documents the scan is for must take the fast path, or it pays nothing.
func TestScanTakesRealFiles(t *testing.T) {
	demo, err := os.ReadFile(filepath.Join("..", "..", "examples", "demo-host", filepath.FromSlash(fixture.PrefsPath)))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"PMS-like":             fixture.Preferences(),
		"demo host":            demo,
		"children":             fixture.Large(1<<20, fixture.ChildContent),
		"long attributes":      fixture.Large(1<<20, fixture.LongAttributes),
		"CRLF, comment, CDATA": []byte("<?xml version=\"1.0\"?>\r\n<Preferences A=\"1\">\r\n <!-- kept -->\r\n <X b='&lt;&#233;&#x1F600;'><![CDATA[<raw> & ]]>ü</X>\r\n</Preferences>\r\n"),
	} {
		off, root := rootEnd(t, data)
		if v := scanRest(data, off, root); v != wellFormed {
			t.Errorf("%s: verdict %d, want wellFormed", name, v)
		}
	}
}

// rootEnd finds where the root's start tag ends, and its name, with the file's own lexer.
func rootEnd(t *testing.T, data []byte) (int, string) {
	t.Helper()
	doc, err := parseDocument(data, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return doc.tag.end, string(doc.text[doc.tag.start+1 : doc.tag.nameEnd])
}

// Each case is the rest of a document after `<Preferences A="1">`, with the verdict the
// scan must give; agreement with encoding/xml is checked for every case too.
func TestScanVerdicts(t *testing.T) {
	cases := []struct {
		rest string
		want verdict
	}{
		{"</Preferences>", wellFormed},
		{"</Preferences >\n\n", wellFormed},
		{"<a/><b c='1' d = \"2\"></b></Preferences>", wellFormed},
		{`<a b="1"c="2"/></Preferences>`, wellFormed}, // encoding/xml needs no space between attributes
		{"<a b=\"]]>\"/></Preferences>", wellFormed},  // "]]>" is fine in a value
		{"&amp;&#65;&#x41;&#xD800;</Preferences>", wellFormed},
		{"<!---></Preferences>--></Preferences>", wellFormed},
		{"<!----></Preferences>", wellFormed},
		{"", malformed},
		{"<a>", malformed},
		{"</Preference>", malformed},
		{"<a></b></Preferences>", malformed},
		{"]]></Preferences>", malformed},
		{"&nbsp;</Preferences>", malformed},
		{"&#0;</Preferences>", malformed},
		{"&#X41;</Preferences>", malformed},
		{"&#x110000;</Preferences>", malformed},
		{"\x01</Preferences>", malformed},
		{"\xff</Preferences>", malformed},
		{"\uFFFE</Preferences>", malformed},
		{"<a b=1/></Preferences>", malformed},
		{"<a b/></Preferences>", malformed},
		{"<a b='<'/></Preferences>", malformed},
		{"<1a/></Preferences>", malformed},
		{"<!-- a -- b --></Preferences>", malformed},
		{"<![CDATA[x</Preferences>", malformed},
		{"<![CDAT[x]]></Preferences>", malformed},
		{"</Preferences><b/>", unsure},
		{"</Preferences>x", unsure},
		{"</Preferences><!-- -->", unsure},
		{"<?pi x?></Preferences>", unsure},
		{"<!DOCTYPE x></Preferences>", unsure},
		{"<x:a/></Preferences>", unsure},
		{"<é/></Preferences>", unsure},
	}
	const prefix = `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences A="1">`
	for _, c := range cases {
		doc := []byte(prefix + c.rest)
		if got := scanRest(doc, len(prefix), "Preferences"); got != c.want {
			t.Errorf("%q: verdict %d, want %d", c.rest, got, c.want)
		}
		checkAgreement(t, doc, len(prefix))
	}
}

// checkAgreement runs parseDocument with and without the scan and checks that the scan's
// verdict, where it gives one, is encoding/xml's.
func checkAgreement(t *testing.T, doc []byte, off int) {
	t.Helper()
	fastScan = false
	_, refErr := parseDocument(doc, "", "")
	fastScan = true
	_, err := parseDocument(doc, "", "")
	if (err == nil) != (refErr == nil) {
		t.Fatalf("%q: with the scan: %v; encoding/xml alone: %v", doc, err, refErr)
	}
	_, text, decErr := decode(doc)
	if decErr != nil || !bytes.Equal(text, doc) {
		return // not a UTF-8 text the scan would see as is
	}
	switch scanRest(doc, off, "Preferences") {
	case wellFormed:
		if refErr != nil {
			t.Fatalf("%q: the scan accepts what encoding/xml refuses: %v", doc, refErr)
		}
	case malformed:
		if refErr == nil {
			t.Fatalf("%q: the scan refuses what encoding/xml accepts", doc)
		}
	}
}

// FuzzScanRest: for any rest of a document, the scan's verdict (when it is not unsure)
// is encoding/xml's, and parseDocument answers the same with and without the scan. The
// first byte chooses an open or an empty root element.
func FuzzScanRest(f *testing.F) {
	for _, seed := range []string{
		"\x00</Preferences>\n",
		"\x01\n",
		"\x00<a b='1'>t&amp;x<![CDATA[<]]><!-- c --></a></Preferences>",
		"\x00<a><b></a></b></Preferences>",
		"\x00&#x1F600;&#55296;]]</Preferences>",
		"\x00<a b=\"&quot;'\" c='\"'/></Preferences>",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		prefix := `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences A="1">`
		if in[0]&1 == 1 {
			prefix = `<Preferences A="1"/>`
		}
		doc := append([]byte(prefix), in[1:]...)
		checkAgreement(t, doc, len(prefix))
	})
}
