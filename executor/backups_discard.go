package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Discard removes a backup this run made and no longer needs: the copy taken before the
// stop, once the server rewrote the store on shutdown and a newer copy holds what the
// rollback must put back. The manifest goes first, as in Prune.
func (b *Backups) Discard(m *Manifest) error {
	if !validBackupID(m.ID) || m.File != filepath.Base(m.File) {
		return fmt.Errorf("internal error: %q is not a backup of ours", m.ID)
	}
	if err := os.Remove(filepath.Join(b.Dir, m.ID+manifestExt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove backup %s: %w", m.ID, err)
	}
	if err := os.Remove(filepath.Join(b.Dir, m.File)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove backup %s: %w", m.ID, err)
	}
	return nil
}
