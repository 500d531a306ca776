package parselimit

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestPosition(t *testing.T) {
	text := []byte("ab\ncde\n\nf")
	for _, tc := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {8, 4, 1}, {9, 4, 2}, {99, 4, 2}, {-1, 1, 1}} {
		if l, c := Position(text, tc.off); l != tc.line || c != tc.col {
			t.Errorf("Position(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}

// TestXMLErrorQuotesNothing feeds encoding/xml documents that make each of its messages
// repeat text of the input, and checks that none of it comes through.
func TestXMLErrorQuotesNothing(t *testing.T) {
	const s = "Sekr3tTok"
	for _, doc := range []string{
		`<a>&` + s + ` </a>`, `<a></` + s + `>`, `<a></b` + s + `>`, `<a ` + s + `/>`, `<a b=` + s + `/>`,
		`<?xml version="9` + s + `"?><a/>`, `<?xml version="1.0" encoding="` + s + `"?><a/>`,
		"<a>\x01" + s + "</a>", `<a><!-` + s + `></a>`, `<a b="<` + s + `"/>`, `<a:` + s + `:x/>`,
	} {
		dec := xml.NewDecoder(bytes.NewReader([]byte(doc)))
		var err error
		for err == nil {
			_, err = dec.Token()
		}
		if errors.Is(err, io.EOF) {
			t.Errorf("%q parsed without error", doc)
			continue
		}
		got := XMLError([]byte(doc), dec.InputOffset(), err).Error()
		if strings.Contains(got, s) || !strings.Contains(got, "line 1, column ") {
			t.Errorf("%q: %s", doc, got)
		}
	}
}
