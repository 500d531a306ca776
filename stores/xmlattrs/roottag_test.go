package xmlattrs

import (
	"bytes"
	"maps"
	"strings"
	"testing"

	"github.com/plexform/plexform/bench/fixture"
)

// checkRootAgreement parses doc with and without the byte-level reading of the root's
// start tag and checks that both accept or refuse it, and give the same values.
func checkRootAgreement(t *testing.T, doc []byte) {
	t.Helper()
	fastScan = false
	ref, refErr := parseDocument(doc, "", "")
	fastScan = true
	got, err := parseDocument(doc, "", "")
	if (err == nil) != (refErr == nil) {
		t.Fatalf("%q: with the fast path: %v; encoding/xml alone: %v", doc, err, refErr)
	}
	if err == nil && !maps.Equal(got.values, ref.values) {
		t.Fatalf("%q: values %q with the fast path, %q with encoding/xml", doc, got.values, ref.values)
	}
}

// Each case is a root start tag's attributes; the values must be encoding/xml's, and
// the PMS-like ones must take the fast path.
func TestFastRootTag(t *testing.T) {
	for _, c := range []struct {
		attrs string
		fast  bool
	}{
		{` A="1" B='two' C=""`, true},
		{"\n  A=\"x&amp;y&lt;&gt;&quot;&apos;\"\tB='&#65;&#x42;&#xD800;&#x1F600;'", true},
		{" A=\"line\r\nnext\rlast\" B='&#13;\r'", true},
		{` A="1"B="2"`, true},
		{` A = "1" `, true},
		{` A="ü€😀"`, true},
		{` A="1" A="2"`, false}, // a repeated attribute: refused, by locate
		{` x:A="1"`, false},     // a prefix: encoding/xml reads it
		{` A="<"`, false},       // malformed: encoding/xml says why
		{` A="&nbsp;"`, false},  // an entity without a DTD
		{` A=1`, false},         // unquoted
		{` A="1"  /x`, false},   // a stray slash
		{` A="` + "\x01" + `"`, false},
	} {
		for _, doc := range []string{
			`<?xml version="1.0" encoding="utf-8"?>` + "\n<Preferences" + c.attrs + "/>\n",
			"<Preferences" + c.attrs + ">\n  <Child/>\n</Preferences>",
		} {
			checkRootAgreement(t, []byte(doc))
			if _, _, _, ok := fastRootTag([]byte(doc), strings.Index(doc, "<Preferences")); ok != c.fast {
				t.Errorf("%q: fast path %v, want %v", doc, ok, c.fast)
			}
		}
	}
	for _, data := range [][]byte{fixture.Preferences(), fixture.Large(1<<20, fixture.LongAttributes)} {
		checkRootAgreement(t, data)
		if _, _, _, ok := fastRootTag(data, bytes.Index(data, []byte("<Preferences"))); !ok {
			t.Errorf("%.40q...: the fast path was not taken", data)
		}
	}
}

// FuzzRootTag: for any attributes of the root element, parsing with the byte-level
// start tag and with encoding/xml alone agree on acceptance and on every value. The
// first byte chooses an empty or an open root element.
func FuzzRootTag(f *testing.F) {
	for _, seed := range []string{
		"\x00 A=\"1\" B='2'",
		"\x01 A=\"&amp;&#x41;&#13;\r\n\" B='\"'",
		"\x00 A='1'B=\"2\"",
		"\x01 A=\"<\"",
		"\x00 PlexOnlineToken=\"tok\" x:y=\"1\"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		doc := append([]byte("<Preferences"), in[1:]...)
		if in[0]&1 == 1 {
			doc = append(doc, "/>\n"...)
		} else {
			doc = append(doc, "><a/></Preferences>"...)
		}
		checkRootAgreement(t, doc)
	})
}
