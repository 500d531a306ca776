//go:build !windows

package schedule

import (
	"fmt"
	"os"

	"github.com/plexform/plexform/stores"
)

var fileMeta0600 = stores.FileMeta{UID: -1, GID: -1, Mode: 0o600}

// checkPrivate accepts a file of the running user with no bits for group or others.
func checkPrivate(meta stores.FileMeta) error {
	if meta.UID != os.Geteuid() {
		return fmt.Errorf("it belongs to uid %d, not to the user this run is (uid %d)", meta.UID, os.Geteuid())
	}
	if meta.Mode&0o077 != 0 {
		return fmt.Errorf("its mode is %#o; it must be readable by its owner only (0600)", meta.Mode&0o777)
	}
	return nil
}
