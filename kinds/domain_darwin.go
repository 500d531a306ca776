package kinds

import (
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/plist"
)

// systemDomain is a defaults domain of the user running plexform, through `defaults`.
func systemDomain(name string) (stores.Store, error) { return plist.NewSystemDomain(name), nil }
