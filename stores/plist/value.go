package plist

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"howett.net/plist"

	"github.com/plexform/plexform/stores"
)

// Type names in stores.Value.Type. A plain string has the empty type, as in every store.
const (
	TypeString  = ""
	TypeInteger = "integer"
	TypeReal    = "real"
	TypeBool    = "bool"
	TypeDate    = "date"
	TypeData    = "data"
	TypeArray   = "array" // read-only: Text is a rendering for diffs
	TypeDict    = "dict"  // read-only: Text is a rendering for diffs
	TypeUID     = "uid"   // read-only: keyed-archiver object references
)

// The decoder hands back int64 for signed and uint64 for unsigned integers, float32 for
// 4-byte reals and float64 for 8-byte ones. The encoder picks the on-disk width from the
// Go type, so keeping these exact Go types is what keeps a rewritten file's types.

// valueOf renders a decoded plist value for State.Values.
func valueOf(v any) stores.Value {
	switch x := v.(type) {
	case string:
		return stores.Value{Type: TypeString, Text: x}
	case int64:
		return stores.Value{Type: TypeInteger, Text: strconv.FormatInt(x, 10)}
	case uint64:
		return stores.Value{Type: TypeInteger, Text: strconv.FormatUint(x, 10)}
	case float32:
		return stores.Value{Type: TypeReal, Text: strconv.FormatFloat(float64(x), 'g', -1, 32)}
	case float64:
		return stores.Value{Type: TypeReal, Text: strconv.FormatFloat(x, 'g', -1, 64)}
	case bool:
		return stores.Value{Type: TypeBool, Text: strconv.FormatBool(x)}
	case time.Time:
		// Binary plists hold dates as float seconds since 2001, precise to about a tenth
		// of a microsecond today; nanoseconds would show float noise.
		return stores.Value{Type: TypeDate, Text: x.UTC().Round(time.Microsecond).Format(time.RFC3339Nano)}
	case []byte:
		return stores.Value{Type: TypeData, Text: base64.StdEncoding.EncodeToString(x)}
	case plist.UID:
		return stores.Value{Type: TypeUID, Text: strconv.FormatUint(uint64(x), 10)}
	case []any:
		return stores.Value{Type: TypeArray, Text: render(x)}
	case map[string]any:
		return stores.Value{Type: TypeDict, Text: render(x)}
	}
	return stores.Value{Type: fmt.Sprintf("%T", v), Text: fmt.Sprint(v)}
}

// render spells a nested value in a stable JSON-like form: keys sorted, and every
// scalar marked so that a diff tells 1 from 1.0 from "1".
func render(v any) string {
	var b strings.Builder
	renderTo(&b, v)
	return b.String()
}

func renderTo(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(strconv.Quote(x))
	case int64, uint64, bool:
		b.WriteString(valueOf(x).Text)
	case float32, float64:
		t := valueOf(x).Text
		b.WriteString(t)
		if !strings.ContainsAny(t, ".eIN") {
			b.WriteString(".0")
		}
	case time.Time, []byte, plist.UID:
		val := valueOf(x)
		fmt.Fprintf(b, "%s(%s)", val.Type, strconv.Quote(val.Text))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			renderTo(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(k))
			b.WriteString(": ")
			renderTo(b, x[k])
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "%v", x)
	}
}

// parseValue turns a planned value into the Go value the encoder writes. The error
// names the type but never the text: a value may be a token.
func parseValue(v stores.Value) (any, error) {
	switch v.Type {
	case TypeString:
		return v.Text, nil
	case TypeInteger:
		if i, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
			return i, nil
		}
		if u, err := strconv.ParseUint(v.Text, 10, 64); err == nil {
			return u, nil
		}
		return nil, fmt.Errorf("the value is not a decimal integer that fits 64 bits")
	case TypeReal:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.Text), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("the value is not a finite real number (like 2.5 or 1e-3)")
		}
		return f, nil
	case TypeBool:
		switch strings.ToLower(strings.TrimSpace(v.Text)) {
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0":
			return false, nil
		}
		return nil, fmt.Errorf("the value is not a boolean (true/false, yes/no, 1/0)")
	case TypeDate:
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v.Text))
		if err != nil {
			return nil, fmt.Errorf("the value is not an RFC 3339 date (like 2024-03-09T17:45:12Z)")
		}
		return t.UTC(), nil
	case TypeData:
		d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v.Text))
		if err != nil {
			return nil, fmt.Errorf("the value is not standard base64 text")
		}
		return d, nil
	case TypeArray, TypeDict, TypeUID:
		return nil, fmt.Errorf("type %q is read-only: plexform can remove such a key but not set it", v.Type)
	}
	return nil, fmt.Errorf("unknown plist type %q (use one of \"\" for string, integer, real, bool, date, data)", v.Type)
}

// Canonical returns the value as Read would report it after a set, so that a planner
// comparing a planned value with the current one does not see "yes" and "true" as a
// change. It fails the same way Write would for a value that does not parse.
func Canonical(v stores.Value) (stores.Value, error) {
	x, err := parseValue(v)
	if err != nil {
		return stores.Value{}, err
	}
	return valueOf(x), nil
}
