package plist

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"howett.net/plist"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/stores"
)

// document is a parsed plist whose top level is a dictionary, with the bytes and format
// it came from so that a rewrite can keep both.
type document struct {
	raw    []byte
	format int
	root   map[string]any
}

// formatName spells a howett format constant for messages.
func formatName(format int) string {
	if name, ok := plist.FormatNames[format]; ok {
		return name
	}
	return fmt.Sprintf("format %d", format)
}

// decode parses data. Failures wrap stores.ErrMalformed.
func decode(data []byte) (*document, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		// howett reads nothing as an empty OpenStep dictionary; for a preferences file it
		// means a truncated write.
		return nil, fmt.Errorf("the file is empty: %w", stores.ErrMalformed)
	}
	xmlSyntax, err := checkLimits(data)
	if err != nil {
		return nil, fmt.Errorf("refused to parse (%w): %w", err, stores.ErrMalformed)
	}
	var top any
	format, err := unmarshal(data, &top)
	if err != nil {
		if xmlSyntax != nil {
			// The same tokenizer failed in the scan, which knows where.
			return nil, fmt.Errorf("not a valid property list (%w): %w", xmlSyntax, stores.ErrMalformed)
		}
		return nil, fmt.Errorf("not a valid property list (%s): %w", redact(err), stores.ErrMalformed)
	}
	root, ok := top.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the top level of the property list is %s, not a dictionary: %w",
			valueOf(top).Type, stores.ErrMalformed)
	}
	return &document{raw: data, format: format, root: root}, nil
}

// checkPlistSnapshot is CheckSnapshot for both plist stores: a backup must decode as
// a property list whose top level is a dictionary.
func checkPlistSnapshot(s stores.Snapshot) error {
	if _, err := decode(s.Data); err != nil {
		return fmt.Errorf("the backup is not a property list: %w", err)
	}
	return nil
}

// unmarshal is plist.Unmarshal that never panics: howett re-raises runtime errors (an
// index out of range on a truncated binary plist), and a corrupt file must be an error.
func unmarshal(data []byte, v any) (format int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot parse: %v", r)
		}
	}()
	return plist.Unmarshal(data, v)
}

// quoted matches what parsers quote from their input, which may be a token: strconv,
// time and encoding/xml errors repeat the offending text in quotes, howett's text parser
// in `...', and its XML parser names an unknown element.
var quoted = lazyre.New("\"[^\"]*\"|'[^']*'|`[^`']*'|`[^`]*`|(unknown element) \\S+")

func redact(err error) string {
	return quoted.ReplaceAllStringFunc(err.Error(), func(m string) string {
		if strings.HasPrefix(m, "unknown element") {
			return "unknown element …"
		}
		return `"…"`
	})
}

// state reports the document's top-level keys.
func (d *document) state() stores.State {
	values := make(map[string]stores.Value, len(d.root))
	for k, v := range d.root {
		values[k] = valueOf(v)
	}
	return stores.State{Exists: true, Values: values}
}

// apply returns the root with the edits made, and whether anything differs.
func (d *document) apply(edits []stores.Edit) (map[string]any, bool, error) {
	next := make(map[string]any, len(d.root)+len(edits))
	for k, v := range d.root {
		next[k] = v
	}
	changed := false
	for _, e := range edits {
		if e.Remove {
			if _, ok := next[e.Name]; ok {
				delete(next, e.Name)
				changed = true
			}
			continue
		}
		v, err := parseValue(e.Value)
		if err != nil {
			return nil, false, fmt.Errorf("set %s: %w", e.Name, err)
		}
		if textFormat(d.format) {
			if _, isString := v.(string); !isString {
				if _, isData := v.([]byte); !isData && d.format == plist.OpenStepFormat {
					return nil, false, fmt.Errorf("set %s: an OpenStep plist holds only strings and data, "+
						"so a %s value would read back as a string; convert the file to XML or binary first", e.Name, e.Value.Type)
				}
			}
		}
		if old, ok := next[e.Name]; ok && sameValue(old, v) {
			continue // keep the stored encoding (uint64 vs int64, say) of an equal value
		}
		next[e.Name] = v
		changed = true
	}
	return next, changed, nil
}

func textFormat(format int) bool {
	return format == plist.OpenStepFormat || format == plist.GNUStepFormat
}

// encode renders root in the document's format. For XML it first tries to edit the
// original text in place, so that untouched keys keep their exact bytes (indentation,
// comments, DOCTYPE, base64 line breaks); any result is parsed back and must equal root,
// or the write is refused.
func (d *document) encode(root map[string]any, edits []stores.Edit) ([]byte, error) {
	if d.format == plist.XMLFormat {
		if out, ok := editXML(d.raw, d.root, root, edits); ok {
			if err := verify(out, d.format, root); err == nil {
				return out, nil
			}
		}
	}
	var out []byte
	var err error
	switch d.format {
	case plist.BinaryFormat:
		out, err = plist.Marshal(root, plist.BinaryFormat)
	default:
		out, err = plist.MarshalIndent(root, d.format, "\t")
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s plist: %s", formatName(d.format), redact(err))
	}
	if err := verify(out, d.format, root); err != nil {
		return nil, err
	}
	return out, nil
}

// verify parses out back and compares it with what it should hold.
func verify(out []byte, format int, want map[string]any) error {
	var got any
	gotFormat, err := unmarshal(out, &got)
	if err != nil {
		return fmt.Errorf("the rewritten plist does not parse back (%s); the file was left alone", redact(err))
	}
	if gotFormat != format {
		return fmt.Errorf("the rewritten plist came out as %s instead of %s; the file was left alone",
			formatName(gotFormat), formatName(format))
	}
	if !sameValue(got, want) {
		return errors.New("the rewritten plist does not read back as planned (a value the plist format " +
			"cannot hold exactly?); the file was left alone")
	}
	return nil
}

// sameInteger compares integers by value: the decoder makes non-negative integers uint64
// or int64 depending on how they were stored, and both write back the same way.
func sameInteger(a, b any) bool {
	sign := func(v any) (neg bool, mag uint64, ok bool) {
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return true, uint64(-(x + 1)), true
			}
			return false, uint64(x), true
		case uint64:
			return false, x, true
		}
		return false, 0, false
	}
	an, am, aok := sign(a)
	bn, bm, bok := sign(b)
	return aok && bok && an == bn && am == bm
}

// sameValue is deep equality with these allowances: integers compare by value (see
// sameInteger), NaN equals NaN, and dates within a microsecond are equal (binary plists
// store dates as float seconds, which a round trip may move by one ulp).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		if !ok {
			return false
		}
		d := x.Sub(y)
		return d < time.Microsecond && d > -time.Microsecond
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case int64, uint64:
		return sameInteger(a, b)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case float32:
		y, ok := b.(float32)
		return ok && (x == y || math.IsNaN(float64(x)) && math.IsNaN(float64(y)))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !sameValue(xv, yv) {
				return false
			}
		}
		return true
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b) && a == b
}
