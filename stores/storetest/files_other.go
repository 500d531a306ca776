//go:build !unix

package storetest

import "testing"

// chownFixture does nothing where files have no Unix owner.
func chownFixture(testing.TB, string) {}
