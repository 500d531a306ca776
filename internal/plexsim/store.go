package plexsim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// settingsStore is where the server keeps its settings between runs: Preferences.xml, or
// on Windows the registry key PMS uses there.
type settingsStore interface {
	// load reads the settings once, at start; exists is false when there are none yet.
	load() (st settings, exists bool, err error)
	// save writes the settings the server holds, over whatever is stored now.
	save(st settings) error
	// noun is what one setting is called in this store, for messages.
	noun() string
	fmt.Stringer
}

// prefsFile is Preferences.xml. save keeps the owner and mode the file had at load.
type prefsFile struct {
	path string
	meta stores.FileMeta
}

// openPrefsFile returns the store for path and the directory PMS keeps its Logs in.
func openPrefsFile(path string) (settingsStore, string, error) {
	if path == "" {
		return nil, "", errors.New("plexsim: no Preferences.xml path given (-prefs)")
	}
	return &prefsFile{path: path}, filepath.Dir(path), nil
}

func (f *prefsFile) String() string { return f.path }
func (f *prefsFile) noun() string   { return "attribute" }

func (f *prefsFile) load() (settings, bool, error) {
	meta, exists, err := fileutil.Stat(f.path)
	if err != nil {
		return settings{}, false, err
	}
	if !exists {
		// PMS creates the file; a fresh file belongs to whoever runs it.
		f.meta = stores.FileMeta{Path: f.path, UID: -1, GID: -1, Mode: 0o644}
		return settings{}, false, nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return settings{}, false, fmt.Errorf("read %s: %w", f.path, err)
	}
	st, err := parsePrefs(data)
	if err != nil {
		return settings{}, false, fmt.Errorf("read %s: %w", f.path, err)
	}
	f.meta = meta
	return st, true, nil
}

func (f *prefsFile) save(st settings) error {
	return fileutil.WriteAtomic(f.path, st.render(), f.meta)
}
