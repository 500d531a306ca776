package plan

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// hostPath decodes a path of the host (a store's path, a service's dir, backups.dir, a
// log, a {file:}). An absolute one whose .. climbs above / is refused: under -root it
// would name a file outside the tree, and on the host it says something other than what
// it seems to.
func (d *decoder) hostPath(n *yaml.Node, what string) string {
	p := d.str(n, what)
	if climbsAboveRoot(p) {
		d.errorf(n, "%s %q climbs above / with ..; write the path without .. (every host path stays inside / and -root)", what, p)
	}
	return p
}

// climbsAboveRoot reports whether an absolute path has more .. than names before them.
// Relative paths (relative to the plan file) may climb: they name the plan's own files.
func climbsAboveRoot(p string) bool {
	p = strings.ReplaceAll(p, `\`, "/")
	if !strings.HasPrefix(p, "/") {
		// A Windows drive path (C:/...) is absolute too.
		if len(p) < 3 || p[1] != ':' || p[2] != '/' {
			return false
		}
		p = p[2:]
	}
	depth := 0
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}
