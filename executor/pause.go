//go:build !plexformtest

package executor

// pause is where a test build stops at a named step so a test can kill the process
// there (see pause_test_build.go). Release builds do nothing.
func pause(string) {}
