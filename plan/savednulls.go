package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// nullsInLists names every null that stands as an element of a JSON array in data
// ("services[0].guards[1]"), in document order. plan -out never writes one, and decoded
// into a Go slice a null becomes a nil pointer (a crash in show or apply) or an empty
// string (a guard, a line of evidence that silently means nothing), so a saved plan
// holding one is damaged, whichever list it is in.
//
// data has already been checked to be valid JSON; a token error only ends the walk.
func nullsInLists(data []byte) []string {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	w := &nullWalk{dec: dec}
	w.value("")
	return w.found
}

type nullWalk struct {
	dec   *json.Decoder
	found []string
	// steps bounds the walk: a saved plan is small, and a crafted one must not make it
	// run long (the decoder's own depth limit bounds the recursion).
	steps int
}

// errStop ends a walk cut short by a token error or the step bound.
var errStop = errors.New("stop")

// value walks the value that starts at the next token; path names it.
func (w *nullWalk) value(path string) (isNull bool, err error) {
	if w.steps++; w.steps > maxNullWalkSteps {
		return false, errStop
	}
	tok, err := w.dec.Token()
	if err != nil {
		return false, errStop
	}
	switch tok {
	case nil:
		return true, nil
	case json.Delim('{'):
		for w.dec.More() {
			key, err := w.dec.Token()
			if err != nil {
				return false, errStop
			}
			name, _ := key.(string)
			child := name
			if path != "" {
				child = path + "." + name
			}
			if _, err := w.value(child); err != nil {
				return false, err
			}
		}
		_, err = w.dec.Token() // the closing brace
	case json.Delim('['):
		for i := 0; w.dec.More(); i++ {
			at := fmt.Sprintf("%s[%d]", path, i)
			null, err := w.value(at)
			if err != nil {
				return false, err
			}
			if null {
				w.found = append(w.found, at)
			}
		}
		_, err = w.dec.Token() // the closing bracket
	}
	if err != nil {
		return false, errStop
	}
	return false, nil
}

// maxNullWalkSteps is far more values than any saved plan of a real host holds (each
// store change is a handful), and few enough to walk in a blink.
const maxNullWalkSteps = 1 << 22
