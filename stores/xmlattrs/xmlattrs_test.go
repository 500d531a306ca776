//go:build unix

package xmlattrs

import (
	"bytes"
	"context"
	"errors"
	"github.com/plexform/plexform/internal/testtool"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plexform/plexform/stores"
)

var removeSignIn = []stores.Edit{
	{Name: "PlexOnlineToken", Remove: true},
	{Name: "PlexOnlineMail", Remove: true},
}

// Each case is a file as some writer left it and the exact bytes expected after the
// sign-in values are removed: everything else must survive untouched.
var preserveCases = []struct {
	name     string
	in, want string
	edits    []stores.Edit
}{
	{
		name:  "as PMS writes it",
		in:    `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences MachineIdentifier="abc" PlexOnlineToken="tok-123" PlexOnlineMail="jane@example.com" FriendlyName="den"/>` + "\n",
		want:  `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences MachineIdentifier="abc" FriendlyName="den"/>` + "\n",
		edits: removeSignIn,
	},
	{
		name:  "no trailing newline, space before />",
		in:    `<?xml version='1.0' encoding='UTF-8'?><Preferences A="1" PlexOnlineToken="t" />`,
		want:  `<?xml version='1.0' encoding='UTF-8'?><Preferences A="1" />`,
		edits: removeSignIn,
	},
	{
		name:  "CRLF and BOM",
		in:    "\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Preferences PlexOnlineMail=\"a@b\" X=\"&amp;&lt;é\"/>\r\n",
		want:  "\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Preferences X=\"&amp;&lt;é\"/>\r\n",
		edits: removeSignIn,
	},
	{
		name:  "attributes on their own lines, first removed",
		in:    "<Preferences\n    PlexOnlineToken='x'\n    B='2'\n    C='3'>\n</Preferences>",
		want:  "<Preferences\n    B='2'\n    C='3'>\n</Preferences>",
		edits: removeSignIn,
	},
	{
		name:  "set changes one value and adds one in the file's quote style",
		in:    "<Preferences\n  FriendlyName='old'\n  B='2'/>",
		want:  "<Preferences\n  FriendlyName='new &amp; &apos;shiny&apos;'\n  B='2'\n  Added='&lt;x&gt;\"'/>",
		edits: []stores.Edit{{Name: "FriendlyName", Value: stores.Value{Text: "new & 'shiny'"}}, {Name: "Added", Value: stores.Value{Text: `<x>"`}}},
	},
	{
		// The new attribute takes the last one's quote; a changed one keeps its own, and
		// its value is escaped for that quote (an apostrophe in a '-quoted value).
		name:  "a changed value is escaped for its own quote",
		in:    `<Preferences FriendlyName='old' B="2"/>`,
		want:  `<Preferences FriendlyName='Jane&apos;s "den"' B="2" Added="it's &quot;x&quot;"/>`,
		edits: []stores.Edit{{Name: "FriendlyName", Value: stores.Value{Text: `Jane's "den"`}}, {Name: "Added", Value: stores.Value{Text: `it's "x"`}}},
	},
	{
		name:  "comments, doctype and a nested element",
		in:    "<!-- hi <Preferences PlexOnlineToken='no'/> -->\n<!DOCTYPE Preferences [<!ELEMENT Preferences ANY>]>\n<Preferences PlexOnlineToken=\"x\"><Child PlexOnlineToken=\"keep\"/></Preferences>",
		want:  "<!-- hi <Preferences PlexOnlineToken='no'/> -->\n<!DOCTYPE Preferences [<!ELEMENT Preferences ANY>]>\n<Preferences><Child PlexOnlineToken=\"keep\"/></Preferences>",
		edits: removeSignIn,
	},
	{
		name:  "value with > inside quotes",
		in:    `<Preferences A="a>b" PlexOnlineMail="m"/>`,
		want:  `<Preferences A="a>b"/>`,
		edits: removeSignIn,
	},
	{
		name:  "latin-1 file keeps its bytes and gets references for what it cannot hold",
		in:    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Preferences N=\"caf\xe9\" PlexOnlineToken=\"t\"/>",
		want:  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Preferences N=\"caf\xe9\" S=\"\xe9&#x20AC;\"/>",
		edits: append([]stores.Edit{{Name: "S", Value: stores.Value{Text: "é€"}}}, removeSignIn...),
	},
	{
		name:  "nothing to remove leaves the bytes as they were",
		in:    "<Preferences  A=\"1\"   B=\"2\"  />",
		want:  "<Preferences  A=\"1\"   B=\"2\"  />",
		edits: removeSignIn,
	},
}

func TestEditedPreservesEveryOtherByte(t *testing.T) {
	for _, tc := range preserveCases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parseDocument([]byte(tc.in), "", "")
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := doc.edited(tc.edits)
			if err != nil {
				t.Fatalf("edit: %v", err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("bytes after edit (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUTF16RoundTrip(t *testing.T) {
	for _, be := range []bool{false, true} {
		text := "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Preferences PlexOnlineToken=\"x\" Name=\"Łódź\"/>\r\n"
		bom := []byte{0xFF, 0xFE}
		if be {
			bom = []byte{0xFE, 0xFF}
		}
		raw := append(append([]byte{}, bom...), encodeUTF16([]byte(text), be)...)
		doc, err := parseDocument(raw, "", "")
		if err != nil {
			t.Fatalf("parse (big endian %v): %v", be, err)
		}
		if doc.values["Name"] != "Łódź" {
			t.Errorf("Name = %q", doc.values["Name"])
		}
		got, err := doc.edited(removeSignIn)
		if err != nil {
			t.Fatal(err)
		}
		wantText := "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Preferences Name=\"Łódź\"/>\r\n"
		want := append(append([]byte{}, bom...), encodeUTF16([]byte(wantText), be)...)
		if !bytes.Equal(got, want) {
			t.Errorf("UTF-16 (big endian %v) bytes differ:\n got %q\nwant %q", be, got, want)
		}
	}
}

func TestElementPath(t *testing.T) {
	in := `<Root><Settings A="1"/><Settings A="2" PlexOnlineToken="x"/></Root>`
	doc, err := parseDocument([]byte(in), "/Root/Settings[2]", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := doc.edited(removeSignIn)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<Root><Settings A="1"/><Settings A="2"/></Root>`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := parseDocument([]byte(in), "/Root/Settings", ""); err == nil || !strings.Contains(err.Error(), "2 elements match") {
		t.Errorf("ambiguous path: err = %v", err)
	}
	if _, err := parseDocument([]byte(in), "/Preferences", ""); err == nil || !strings.Contains(err.Error(), "root element is <Root>") {
		t.Errorf("missing element: err = %v", err)
	}
}

func TestMalformedInputsAreRefused(t *testing.T) {
	for name, in := range map[string]string{
		"truncated":          `<?xml version="1.0"?><Preferences A="1"`,
		"not xml":            "PlexOnlineToken=abc\n",
		"mismatched tags":    `<Preferences><a></b></Preferences>`,
		"repeated attribute": `<Preferences A="1" A="2"/>`,
		"empty":              ``,
		"unknown encoding":   `<?xml version="1.0" encoding="Shift_JIS"?><Preferences/>`,
		"bad entity":         `<Preferences A="&nbsp;"/>`,
	} {
		if _, err := parseDocument([]byte(in), "", ""); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestSetRejectsWhatXMLCannotHold(t *testing.T) {
	doc, err := parseDocument([]byte(`<P/>`), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.edited([]stores.Edit{{Name: "A", Value: stores.Value{Text: "x\x01y"}}}); !errors.Is(err, errBadChar) {
		t.Errorf("control character: err = %v", err)
	}
	if _, err := doc.edited([]stores.Edit{{Name: "1bad", Value: stores.Value{Text: "x"}}}); err == nil {
		t.Error("invalid attribute name was accepted")
	}
	// What validate checks a set: value with: the characters XML 1.0 holds, and only them.
	for text, ok := range map[string]bool{
		"den":                 true,
		"tab\tnl\ncr\r":       true,
		"replacement \uFFFD":  true, // U+FFFD is a character like any other
		"emoji \U0001F600":    true,
		"bell \x07":           false,
		"bad byte \xff":       false,
		"noncharacter \uFFFE": false,
	} {
		if err := CheckText(text); (err == nil) != ok {
			t.Errorf("CheckText(%q) = %v, want ok %v", text, err, ok)
		}
	}
	out, err := doc.edited([]stores.Edit{{Name: "A", Value: stores.Value{Text: "x\uFFFDy"}}})
	if err != nil {
		t.Fatalf("writing U+FFFD: %v", err)
	}
	if back, err := parseDocument(out, "", ""); err != nil || back.values["A"] != "x\uFFFDy" {
		t.Errorf("U+FFFD written as %q reads back as %q, %v", out, back.values["A"], err)
	}
}

func writeFixture(t *testing.T, content string, uid, gid int, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Preferences.xml")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(path, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestWriteKeepsOwnerModeAndIsWellFormed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file another owner")
	}
	in := preserveCases[0].in
	path := writeFixture(t, in, 4242, 4343, 0o640)
	f := New(path, "")
	ctx := context.Background()
	if err := f.Write(ctx, removeSignIn); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 4242 || st.Gid != 4343 || fi.Mode().Perm() != 0o640 {
		t.Errorf("owner/mode after write = %d:%d %o, want 4242:4343 640", st.Uid, st.Gid, fi.Mode().Perm())
	}
	got, _ := os.ReadFile(path)
	if string(got) != preserveCases[0].want {
		t.Errorf("content = %q", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
	xmllint(t, path)
}

// xmllint checks well-formedness with an independent parser.
func xmllint(t *testing.T, path string) {
	t.Helper()
	testtool.Require(t, "xmllint", "libxml2-utils")
	if out, err := exec.Command("xmllint", "--noout", path).CombinedOutput(); err != nil {
		t.Errorf("xmllint rejects the written file: %v\n%s", err, out)
	}
}

func TestReadMissingFileIsEmpty(t *testing.T) {
	st, err := New(filepath.Join(t.TempDir(), "nope.xml"), "").Read(context.Background())
	if err != nil || st.Exists || len(st.Values) != 0 {
		t.Errorf("Read of a missing file = %+v, %v", st, err)
	}
}

func TestMalformedFileIsLeftAlone(t *testing.T) {
	path := writeFixture(t, `<Preferences PlexOnlineToken="secret-token-value"`, 0, 0, 0o644)
	before, _ := os.Stat(path)
	f := New(path, "")
	_, err := f.Read(context.Background())
	if !errors.Is(err, stores.ErrMalformed) {
		t.Fatalf("Read error = %v, want ErrMalformed", err)
	}
	if strings.Contains(err.Error(), "secret-token-value") {
		t.Errorf("error leaks the token: %v", err)
	}
	if err := f.Write(context.Background(), removeSignIn); err == nil {
		t.Fatal("Write on a malformed file succeeded")
	}
	after, _ := os.Stat(path)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("malformed file was rewritten")
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	path := writeFixture(t, preserveCases[2].in, 0, 0, 0o600)
	f := New(path, "")
	ctx := context.Background()
	snap, err := f.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(ctx, removeSignIn); err != nil {
		t.Fatal(err)
	}
	if err := f.Restore(ctx, snap); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != preserveCases[2].in {
		t.Errorf("restored bytes differ: %q", got)
	}
}

func FuzzEdit(f *testing.F) {
	for _, tc := range preserveCases {
		f.Add([]byte(tc.in), "PlexOnlineToken", "new value")
	}
	f.Add([]byte("<a b='1'><c/></a>"), "b", "&<>\"'")
	// Hostile files: each must be refused quickly, never crash the fuzzer (the million-deep
	// ones are left out only for their size; one level too deep stands for them).
	for _, in := range hostileXML {
		if len(in) < 64<<10 {
			f.Add(in, "PlexOnlineToken", "v")
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, name, value string) {
		doc, err := parseDocument(in, "", "")
		// The streaming root parser may be stricter than etree (which accepts text or a
		// second element after the root, as XML does not), never more lenient.
		viaTree, treeErr := parseDocument(in, "/*", "")
		if err == nil && treeErr != nil {
			t.Fatalf("stream accepts what etree rejects, %q: %v", in, treeErr)
		}
		if err != nil {
			return
		}
		if !maps.Equal(doc.values, viaTree.values) || doc.tag.start != viaTree.tag.start {
			t.Fatalf("stream and tree read different roots of %q", in)
		}
		before := doc.values
		// Removing nothing must give back the input byte for byte.
		same, err := doc.edited([]stores.Edit{{Name: "\x00absent", Remove: true}})
		if err != nil {
			t.Fatalf("no-op edit failed: %v", err)
		}
		if !bytes.Equal(same, in) {
			t.Fatalf("no-op edit changed bytes:\n in %q\nout %q", in, same)
		}
		out, err := doc.edited([]stores.Edit{{Name: name, Value: stores.Value{Text: value}}})
		if err != nil {
			return // an invalid name or value is refused, not written
		}
		again, err := parseDocument(out, "", "")
		if err != nil {
			t.Fatalf("edited document does not parse: %v\n%q", err, out)
		}
		if again.values[name] != value {
			t.Fatalf("value of %q after set = %q, want %q", name, again.values[name], value)
		}
		for k, v := range before {
			if k != name && again.values[k] != v {
				t.Fatalf("untouched attribute %q changed: %q -> %q", k, v, again.values[k])
			}
		}
	})
}
