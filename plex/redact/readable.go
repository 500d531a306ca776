package redact

import (
	"bytes"
	"fmt"
	"strings"

	"howett.net/plist"
)

// Readable returns a redacted copy as text a person can read on a terminal, when its
// own format is not text: a binary plist becomes an XML plist (dates to the second, as
// XML plists carry them), a UTF-16 .reg file UTF-8. ok is false for a copy that is text
// already. The result is for reading only; the file to post keeps its own format.
func Readable(res Result) (text []byte, ok bool, err error) {
	switch {
	case res.Format == Plist && bytes.HasPrefix(res.Data, []byte("bplist")):
		var v any
		if _, err := plist.Unmarshal(res.Data, &v); err != nil {
			return nil, false, fmt.Errorf("read the redacted binary plist back: %w", err)
		}
		out, err := plist.MarshalIndent(v, plist.XMLFormat, "\t")
		if err != nil {
			return nil, false, fmt.Errorf("show the binary plist as XML: %w", err)
		}
		return append(out, '\n'), true, nil
	case res.Format == Reg && sniffCodec(res.Data).utf16:
		s, err := sniffCodec(res.Data).decode(res.Data)
		if err != nil {
			return nil, false, err
		}
		return []byte(strings.TrimPrefix(s, "\uFEFF")), true, nil
	}
	return nil, false, nil
}
