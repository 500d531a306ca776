package plan

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// Desired is one value a resource wants: gone, or set to Value.
type Desired struct {
	Name      string
	Absent    bool
	Value     stores.Value
	Sensitive bool
	// Deferred values are known only during apply (a token from the claim exchange):
	// the diff plans to set them, and apply fills Value in after the stop.
	Deferred bool
}

// Desire resolves a resource's absent: and set: lists, reading environment variables and
// files now, so that a missing one is an error before anything is stopped or written.
// File paths are host paths (inside root when one is given).
func (p *Plan) Desire(r *Resource, root string, getenv func(string) (string, bool)) ([]Desired, error) {
	var errs *multierror.Error
	out := make([]Desired, 0, len(r.Absent)+len(r.Set))
	for _, name := range r.Absent {
		out = append(out, Desired{Name: name, Absent: true, Sensitive: r.IsSensitive(name)})
	}
	for _, s := range r.Set {
		text, err := p.resolve(s, root, getenv)
		if err == nil && s.Source.Type == "" && !s.Source.HasLiteral { // a literal was checked by Decode
			err = KindOf(r.Kind).checkText(text)
		}
		if err != nil {
			errs = multierror.Append(errs, &Error{File: p.File, Pos: s.Pos, Msg: fmt.Sprintf("%s.set.%s: %v", r.Name, s.Name, err)})
			continue
		}
		// A value kept out of the plan file (in the environment or a file) is kept out of
		// every output too: that is usually why it was kept out.
		sensitive := r.IsSensitive(s.Name) || !s.Source.HasLiteral
		out = append(out, Desired{Name: s.Name, Value: stores.Value{Type: s.Source.Type, Text: text}, Sensitive: sensitive})
	}
	if errs != nil {
		errs.ErrorFormat = listErrors
		return nil, errs
	}
	return out, nil
}

func (p *Plan) resolve(s *Setting, root string, getenv func(string) (string, bool)) (string, error) {
	return p.Resolve(s.Source, root, getenv)
}

// maxValueFile bounds a {file:} value.
const maxValueFile = 1 << 20

// Resolve reads a value from its source: a literal, an environment variable or a file
// (a host path, inside root when one is given).
func (p *Plan) Resolve(src Source, root string, getenv func(string) (string, bool)) (string, error) {
	switch {
	case src.HasLiteral:
		return src.Literal, nil
	case src.Env != "":
		v, ok := getenv(src.Env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set; export it before running plexform", src.Env)
		}
		return v, nil
	default:
		path, err := p.HostPath(root, src.File)
		if err != nil {
			return "", fmt.Errorf("read value from file: %w", err)
		}
		// Inside root, links included, and a regular file of a sane size: a value file
		// is a token or a name, and a FIFO or device there must not hang or flood us.
		data, _, err := fileutil.RootAt(root).ReadFile(path, maxValueFile)
		if err != nil {
			return "", fmt.Errorf("read value from file: %w", err)
		}
		// Secret files (Docker, swarm, editors) end in a newline that is not part of the value.
		text := strings.TrimSuffix(string(data), "\n")
		return strings.TrimSuffix(text, "\r"), nil
	}
}
