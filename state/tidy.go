package state

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/stores/fileutil"
)

// Tidy removes what a run killed midway left behind: in the backups directory, a copy
// whose manifest was never written (it holds the token and nothing lists it) and temp
// files of a write that never finished; beside each store in storePaths, the temp file
// of an atomic write that never got renamed (the names fileutil's Stage makes, as
// fileutil.IsTempName knows them). It returns one line saying what it removed,
// "" when nothing was left over.
//
// Call it while holding Lock and LockStores for those stores: a copy without a
// manifest, or a temp file beside a store, is a leftover only when no other run can
// be writing it right now.
func (b *Dir) Tidy(storePaths []string) (string, error) {
	var errs *multierror.Error
	copies, temps := 0, 0
	idx, err := b.load()
	if err != nil {
		return "", err
	}
	if len(idx.orphans) > 0 {
		d, err := b.open(false)
		if err != nil {
			return "", err
		}
		for _, name := range idx.orphans {
			if mode, err := d.lstat(name); err != nil || mode != 0 {
				continue // gone, or not a plain file: not ours to remove
			}
			if err := d.remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = multierror.Append(errs, fmt.Errorf("remove leftover %s: %w", d.join(name), err))
				continue
			}
			if strings.HasPrefix(name, tempPrefix) {
				temps++
			} else {
				copies++
			}
		}
		idx.orphans = nil
		if err := d.sync(); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	var where []string
	for _, p := range storePaths {
		n, err := removeWriteTemps(b.Root, p)
		if err != nil {
			errs = multierror.Append(errs, err)
		}
		if n > 0 {
			temps += n
			if !slices.Contains(where, filepath.Dir(p)) {
				where = append(where, filepath.Dir(p))
			}
		}
	}
	var parts []string
	if copies > 0 {
		parts = append(parts, plural(copies, "backup copy", "backup copies")+" without a manifest in "+b.Path)
	}
	if temps > 0 {
		in := ""
		if len(where) > 0 {
			in = " beside " + strings.Join(where, ", ")
		}
		parts = append(parts, plural(temps, "unfinished temp file", "unfinished temp files")+in)
	}
	line := ""
	if len(parts) > 0 {
		line = "Removed what an interrupted run left: " + strings.Join(parts, "; ")
	}
	return line, errs.ErrorOrNil()
}

// removeWriteTemps removes the temp files of ours (fileutil.IsTempName, the names
// Stage makes) beside the store at path, in the directory a write of it would stage
// in: that of the file it links to, resolved inside root as Stage resolves it.
func removeWriteTemps(root fileutil.Root, path string) (int, error) {
	if !filepath.IsAbs(path) {
		return 0, nil // a registry key or a defaults domain: no temp files of ours
	}
	names, err := root.Leftovers(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look for leftovers beside %s: %w", path, err)
	}
	removed := 0
	var errs *multierror.Error
	for _, name := range names {
		if err := root.RemoveLeftover(path, name); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("remove leftover %s beside %s: %w", name, path, err))
			continue
		}
		removed++
	}
	return removed, errs.ErrorOrNil()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
