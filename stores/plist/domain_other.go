//go:build !darwin

package plist

// DomainSupported reports whether `domain:` works here: defaults exists only on macOS,
// so a plan for this OS must name the plist file with `path:` instead.
func DomainSupported() bool { return false }
