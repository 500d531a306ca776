package schedule

import (
	"os/exec"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	return testtool.Require(t, name, pkg)
}

// runTool runs a peer and returns its combined output.
func runTool(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
