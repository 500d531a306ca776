package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/stores/fileutil"
)

// Tidy removes what a run killed midway left behind: in the backups directory, a copy
// whose manifest was never written (it holds the token and nothing lists it) and temp
// files of a write that never finished; beside each store in storePaths, the temp file
// of an atomic write that never got renamed (fileutil.TempPrefix(NAME) and the digits
// os.CreateTemp adds). It returns one line saying what it removed,
// "" when nothing was left over.
//
// Call it while holding Lock and LockStores for those stores: a copy without a
// manifest, or a temp file beside a store, is a leftover only when no other run can
// be writing it right now.
func (b *Backups) Tidy(storePaths []string) (string, error) {
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
		n, err := removeWriteTemps(p)
		if err != nil {
			errs = multierror.Append(errs, err)
		}
		if n > 0 {
			temps += n
			where = append(where, filepath.Dir(p))
		}
	}
	var parts []string
	if copies > 0 {
		parts = append(parts, plural(copies, "backup copy", "backup copies")+" without a manifest in "+b.Dir)
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

// removeWriteTemps removes ".NAME.plexform-<digits>" regular files beside the store at
// path (and beside the file it links to, where the write went).
func removeWriteTemps(path string) (int, error) {
	if !filepath.IsAbs(path) {
		return 0, nil // a registry key or a defaults domain: no temp files of ours
	}
	places := []string{path}
	if resolved, err := filepath.EvalSymlinks(path); err == nil && resolved != path {
		places = append(places, resolved)
	}
	removed := 0
	var errs *multierror.Error
	for _, p := range places {
		dir, base := filepath.Split(p)
		prefix := fileutil.TempPrefix(base)
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("look for leftovers beside %s: %w", p, err))
			continue
		}
		for _, e := range entries {
			rest, ok := strings.CutPrefix(e.Name(), prefix)
			if !ok || rest == "" || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
				continue
			}
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = multierror.Append(errs, fmt.Errorf("remove leftover %s: %w", filepath.Join(dir, e.Name()), err))
				continue
			}
			removed++
		}
	}
	return removed, errs.ErrorOrNil()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// warn reports a line and an error as warnings, each when there is one.
func warn(obs Observer, line string, err error) {
	if line != "" {
		obs.Event(Event{Type: EventWarning, Message: line})
	}
	if err != nil {
		obs.Event(Event{Type: EventWarning, Message: err.Error()})
	}
}
