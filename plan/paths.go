package plan

import (
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/stores/fileutil"
)

// HostPath resolves a path of the plan on the host. An absolute path is the host's, put
// inside root when one is given (-root: a mounted disk, a container volume). A relative
// path is relative to the plan file's directory, so a checked-in plan means the same
// wherever it is run from; where that lands decides how it is resolved:
//
//   - a plan file inside the -root tree is a file of that host, and its relative paths
//     name the tree's files: they resolve inside the tree (symlinks as the tree's host
//     would follow them), and one whose .. climbs out of the tree is an error, never a
//     file of this machine;
//   - a plan file outside the tree names files beside it on this machine (a {file:}
//     secret kept with the plan), resolved with this machine's rules; one that leads into
//     the tree is a file of the tree like any other there.
func (p *Plan) HostPath(root, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	if filepath.IsAbs(path) {
		return RootedPath(root, path), nil
	}
	dir := filepath.Dir(p.File)
	full := filepath.Join(dir, path)
	if r := fileutil.RootAt(root); r.Holds(dir) && !r.Holds(full) {
		return "", fmt.Errorf("%q is relative to the plan file, which lies in -root %s, and its .. climbs out of that tree; "+
			"a plan inside the tree names the tree's files: write the path without climbing out (or as the tree's absolute path)", path, r.Dir())
	}
	return full, nil
}

// RootedPath puts an absolute host path inside root (when root is set). A .. that would
// climb above / stays at /, as on the host itself (validate refuses such paths in a plan;
// this keeps every other caller inside the root too). What the path then leads to is
// resolved inside root by fileutil.Root, symlinks included.
func RootedPath(root, path string) string {
	return fileutil.RootAt(root).Path(path)
}

// hostPath decodes a path of the host (a store's path, a service's dir, backups.dir, a
// log, a {file:}). An absolute one whose .. climbs above / is refused: under -root it
// would name a file outside the tree, and on the host it says something other than what
// it seems to.
func (d *Decoder) hostPath(n *yaml.Node, what string) string {
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
