//go:build unix

package plist

import (
	"context"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/childenv"
	"github.com/plexform/plexform/internal/testtool"
)

// TestExecRunnerHidesPlanSecrets: a variable a plan reads for {env:} never reaches
// defaults or any other command this runner starts.
func TestExecRunnerHidesPlanSecrets(t *testing.T) {
	env := testtool.Require(t, "env", "coreutils")
	t.Setenv("PLEXFORM_PLIST_TEST_TOKEN", "token-secret-value")
	t.Setenv("PLEXFORM_PLIST_TEST_KEPT", "kept")
	childenv.Hide("PLEXFORM_PLIST_TEST_TOKEN")
	out, err := ExecRunner{}.Run(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "token-secret-value") {
		t.Error("the child sees the hidden variable")
	}
	if !strings.Contains(string(out), "PLEXFORM_PLIST_TEST_KEPT=kept") {
		t.Error("the child lost a variable that is not hidden")
	}
}
