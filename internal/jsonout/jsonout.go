// Package jsonout prints the JSON documents of plexform's -json outputs, indented the
// one way every view uses, so two commands' documents never differ in shape.
package jsonout

import (
	"encoding/json"
	"io"
)

// Write prints v as one indented JSON document and a newline.
func Write(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
