package plist

// DomainSupported reports whether `domain:` works here: defaults exists only on macOS.
func DomainSupported() bool { return true }

// NewSystemDomain returns the store for a defaults domain of the user running plexform,
// edited with the real defaults command.
func NewSystemDomain(domain string) *Domain { return NewDomain(domain, ExecRunner{}) }
