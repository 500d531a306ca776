package xmlattrs

import (
	"github.com/plexform/plexform/stores"
)

// Rewrite returns raw with attribute values of one element replaced by f, which sees
// every attribute of the element in file order (name as written, value unescaped) and
// says whether to change it. Every byte outside the changed values is kept, as Write
// keeps it; the redact command uses this to hide secrets in a copy of the file.
//
// element selects the element as in New (empty: the root). Parse failures wrap
// stores.ErrMalformed. With no change, the result equals raw.
func Rewrite(raw []byte, element string, f func(name, value string) (newValue string, change bool)) ([]byte, error) {
	doc, err := parseDocument(raw, element, "")
	if err != nil {
		return nil, err
	}
	var edits []stores.Edit
	for _, a := range doc.tag.attrs {
		if v, change := f(a.name, doc.values[a.name]); change {
			edits = append(edits, stores.Edit{Name: a.name, Value: stores.Value{Text: v}})
		}
	}
	if len(edits) == 0 {
		return append([]byte(nil), raw...), nil
	}
	return doc.edited(edits)
}
