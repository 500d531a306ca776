// Package testtool is the one rule for tests that need a real peer (xmllint, s6,
// plistutil, root, a tmpfs): skip with a clear message on a developer's machine that
// lacks it, fail in CI (CI=true), where a missing peer is a missing install step.
package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require returns the path of the command name, which Debian's package debianPackage
// provides; without it the test is skipped, or failed in CI.
func Require(tb testing.TB, name, debianPackage string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Unavailable(tb, fmt.Sprintf("%s is not installed (Debian package %s)", name, debianPackage))
	}
	return path
}

// Unavailable skips the test for a reason, or fails it in CI.
func Unavailable(tb testing.TB, why string) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("%s; CI must provide it (.ci/run)", why)
	}
	tb.Skipf("%s; skipping", why)
}
