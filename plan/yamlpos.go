package plan

import (
	"bytes"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSyntaxSearch bounds the bytes syntaxErrorPos parses in all (about a tenth of a
// second): a plan is a few kilobytes, and a huge file that is not YAML keeps the
// parser's own line.
const maxSyntaxSearch = 4 << 20

// syntaxErrorPos finds the line of a YAML syntax error in data, which is not always
// the line yaml.v3 names: for an error of its parser (a line indented wrongly, a "{" or
// "[" never closed) it names the line where the enclosing block began, counted from 0,
// so one line above it. The problem is on the line after the longest run of whole lines
// from the start that still parses: everything up to that line is YAML, and no longer
// run is, since the whole file is not. ok is false when that cannot be told within
// maxSyntaxSearch; then the parser's line stands.
func syntaxErrorPos(data []byte) (at Pos, ok bool) {
	// ends[i] is where line i+1 ends, its newline included.
	var ends []int
	for off := 0; off < len(data); {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			ends = append(ends, len(data))
			break
		}
		off += i + 1
		ends = append(ends, off)
	}
	budget := maxSyntaxSearch
	var n yaml.Node
	for m := len(ends) - 1; m >= 0; m-- {
		prefix := 0 // the first m lines
		if m > 0 {
			prefix = ends[m-1]
		}
		if budget -= prefix; budget < 0 {
			return Pos{}, false
		}
		if yaml.Unmarshal(data[:prefix], &n) == nil {
			line := string(data[prefix:ends[m]])
			return Pos{Line: m + 1, Column: len(line) - len(strings.TrimLeft(line, " \t")) + 1}, true
		}
	}
	return Pos{}, false
}
