package plist

import (
	"fmt"
	"sort"

	"github.com/plexform/plexform/stores"
)

// Rewrite returns the plist raw with scalar values replaced by f, at any depth: f sees
// each string, number, date and data value together with the key of the dictionary entry
// that holds it (for an array element, the key holding the array), and says whether to
// change it. Keys are visited in sorted order at each level, so f can number what it
// replaces stably. The redact command uses this to hide secrets in a copy of the file.
//
// The result keeps raw's format. An XML plist whose changes are all top-level is edited
// as text, so every other byte is kept; a binary or OpenStep plist, or a nested change in
// an XML one, is re-encoded (every value kept, the layout not). With no change the result
// equals raw. Parse failures wrap stores.ErrMalformed.
func Rewrite(raw []byte, f func(key string, v stores.Value) (stores.Value, bool)) ([]byte, error) {
	doc, err := decode(raw)
	if err != nil {
		return nil, err
	}
	root, changed, err := rewriteDict(doc.root, f)
	if err != nil {
		return nil, err
	}
	if !changed {
		return append([]byte(nil), raw...), nil
	}
	return doc.encode(root, nil)
}

func rewriteDict(m map[string]any, f func(string, stores.Value) (stores.Value, bool)) (map[string]any, bool, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(m))
	changed := false
	for _, k := range keys {
		v, c, err := rewriteAny(k, m[k], f)
		if err != nil {
			return nil, false, err
		}
		out[k], changed = v, changed || c
	}
	return out, changed, nil
}

func rewriteAny(key string, v any, f func(string, stores.Value) (stores.Value, bool)) (any, bool, error) {
	switch x := v.(type) {
	case map[string]any:
		return rewriteDict(x, f)
	case []any:
		out := make([]any, len(x))
		changed := false
		for i, e := range x {
			nv, c, err := rewriteAny(key, e, f)
			if err != nil {
				return nil, false, err
			}
			out[i], changed = nv, changed || c
		}
		return out, changed, nil
	}
	old := valueOf(v)
	if old.Type == TypeUID {
		return v, false, nil
	}
	nv, change := f(key, old)
	if !change || nv.Equal(old) {
		return v, false, nil
	}
	parsed, err := parseValue(nv)
	if err != nil {
		return nil, false, fmt.Errorf("rewrite %s: %w", key, err)
	}
	return parsed, true, nil
}
