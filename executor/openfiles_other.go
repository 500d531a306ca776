//go:build !unix

package executor

// openFilesLimit: Windows has no small per-process limit on handles worth checking.
func openFilesLimit() uint64 { return 0 }
