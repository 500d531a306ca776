package render

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// ErrorText spells an error for people: one error as itself, several (a
// go-multierror, possibly nested) as a list, one per line.
func ErrorText(err error) string {
	lines := flatten(err)
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems:\n  - %s", len(lines), strings.Join(lines, "\n  - "))
}

func flatten(err error) []string {
	var m *multierror.Error
	// A multierror with its own format (the plan decoder's) already reads well.
	if !errors.As(err, &m) || m == nil || m.ErrorFormat != nil {
		return []string{strings.ReplaceAll(err.Error(), "\n", "\n    ")}
	}
	var out []string
	for _, e := range m.Errors {
		out = append(out, flatten(e)...)
	}
	return out
}
