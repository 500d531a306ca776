//go:build !windows

package registry

import (
	"fmt"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry/regfile"
)

// New returns ErrNotWindows (after checking the key, so a plan still gets its key errors
// first) everywhere but Windows.
func New(key, user string) (stores.Store, error) {
	if _, err := regfile.ParseKeyPath(key); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("registry key %s: %w", key, ErrNotWindows)
}
