package xmlattrs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/parselimit"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/storetest"
)

const hostileSecret = "hostile-secret-Zq8Wn3"

// nested is depth elements, each inside the one before, under a <Preferences> root.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString(`<Preferences PlexOnlineToken="x">`)
	for range depth - 1 {
		b.WriteString("<a>")
	}
	for range depth - 1 {
		b.WriteString("</a>")
	}
	b.WriteString("</Preferences>")
	return []byte(b.String())
}

// hostileXML are files made to crash, hang or leak through a reader; each must be refused
// with stores.ErrMalformed, quickly, naming a position and quoting nothing.
var hostileXML = map[string][]byte{
	"a million levels deep":     nested(1_000_000),
	"one level too deep":        nested(parselimit.MaxDepth + 1),
	"a million unclosed levels": []byte(`<Preferences>` + strings.Repeat("<a>", 1_000_000)),
	"billion laughs": []byte(`<?xml version="1.0"?><!DOCTYPE Preferences [<!ENTITY a "` + hostileSecret + `">` +
		`<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">` +
		`<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><Preferences A="&d;&d;&d;&d;&d;&d;&d;&d;"/>`),
	"secret in a bad entity":      []byte(`<Preferences PlexOnlineToken="&` + hostileSecret + ` rest"/>`),
	"secret in a bad end tag":     []byte(`<Preferences A="1"></` + hostileSecret + `>`),
	"secret in a bad name":        []byte(`<Preferences ` + "\x01" + hostileSecret + `="1"/>`),
	"secret after the root":       []byte(`<Preferences/>` + hostileSecret),
	"secret in a second root":     []byte(`<Preferences/><` + hostileSecret + `/>`),
	"secret in a bad character":   []byte("<Preferences PlexOnlineToken=\"" + hostileSecret + "\x00\"/>"),
	"secret in an unquoted value": []byte(`<Preferences PlexOnlineToken=` + hostileSecret + `/>`),
}

func TestHostileXMLIsRefused(t *testing.T) {
	for name, in := range hostileXML {
		for _, element := range []string{"", "/Preferences"} {
			t.Run(name+" "+element, func(t *testing.T) {
				var err error
				storetest.Bounded(t, "parse", func() { _, err = parseDocument(in, element, "Preferences") })
				if !errors.Is(err, stores.ErrMalformed) {
					t.Fatalf("err = %v; want ErrMalformed", err)
				}
				if strings.Contains(err.Error(), hostileSecret) {
					t.Errorf("the error quotes the file: %v", err)
				}
				if strings.Contains(name, "deep") && !errors.Is(err, parselimit.ErrLimit) {
					t.Errorf("err = %v; want the depth limit", err)
				}
			})
		}
	}
}

func TestDepthLimitIsExact(t *testing.T) {
	if _, err := parseDocument(nested(parselimit.MaxDepth), "", ""); err != nil {
		t.Errorf("%d levels (the limit) refused: %v", parselimit.MaxDepth, err)
	}
	_, err := parseDocument(nested(parselimit.MaxDepth+1), "", "")
	if !errors.Is(err, parselimit.ErrLimit) || !strings.Contains(err.Error(), "line 1, column ") {
		t.Errorf("%d levels: err = %v; want the depth limit with its position", parselimit.MaxDepth+1, err)
	}
}

func TestSyntaxErrorsNamePosition(t *testing.T) {
	in := "<?xml version=\"1.0\"?>\n<Preferences\n  PlexOnlineToken=\"&" + hostileSecret + "\"/>\n"
	_, err := parseDocument([]byte(in), "", "")
	if err == nil || !strings.Contains(err.Error(), "line 3, column ") || strings.Contains(err.Error(), hostileSecret) {
		t.Errorf("err = %v; want line 3 and no text of the file", err)
	}
}

func TestRequireRoot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Preferences.xml")
	other := `<?xml version="1.0"?><Settings PlexOnlineToken="` + hostileSecret + `"/>`
	if err := os.WriteFile(path, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, f := range []*File{New(path, "", RequireRoot("Preferences")), New(path, "/Settings", RequireRoot("Preferences"))} {
		_, err := f.Read(ctx)
		if !errors.Is(err, ErrWrongRoot) || !errors.Is(err, stores.ErrMalformed) {
			t.Fatalf("Read of a <Settings> file: %v; want ErrWrongRoot", err)
		}
		if !strings.Contains(err.Error(), "<Settings>, not <Preferences>") || strings.Contains(err.Error(), hostileSecret) {
			t.Errorf("error %q should name both roots and no value", err)
		}
		if err := f.Write(ctx, []stores.Edit{{Name: "PlexOnlineToken", Remove: true}}); !errors.Is(err, ErrWrongRoot) {
			t.Errorf("Write: %v; want ErrWrongRoot", err)
		}
		if err := f.Restore(ctx, stores.Snapshot{Data: []byte(other), Meta: stores.FileMeta{UID: -1, GID: -1, Mode: 0o600}}); !errors.Is(err, ErrWrongRoot) {
			t.Errorf("Restore of a <Settings> backup: %v; want ErrWrongRoot", err)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != other {
		t.Error("the file was changed")
	}
	// Without the option any root is fine, and with it the right one is.
	if _, err := New(path, "").Read(ctx); err != nil {
		t.Errorf("without RequireRoot: %v", err)
	}
	if err := os.WriteFile(path, []byte(`<Preferences A="1"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := New(path, "", RequireRoot("Preferences")).Read(ctx); err != nil || st.Values["A"].Text != "1" {
		t.Errorf("a <Preferences> file: %+v, %v", st, err)
	}
}
