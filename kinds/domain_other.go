//go:build !darwin

package kinds

import (
	"fmt"

	"github.com/plexform/plexform/stores"
)

// systemDomain exists only on macOS, where the defaults command does.
func systemDomain(name string) (stores.Store, error) {
	return nil, fmt.Errorf("defaults domain %s: the defaults command exists only on macOS; use path: with the plist file", name)
}
