//go:build unix

package service

import (
	"context"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/childenv"
	"github.com/plexform/plexform/internal/testtool"
)

// TestRunnerHidesPlanSecrets: a variable a plan reads for {env:} never reaches a
// command the service runner starts.
func TestRunnerHidesPlanSecrets(t *testing.T) {
	env := testtool.Require(t, "env", "coreutils")
	t.Setenv("PLEXFORM_SERVICE_TEST_CLAIM", "claim-secret-value")
	t.Setenv("PLEXFORM_SERVICE_TEST_KEPT", "kept")
	childenv.Hide("PLEXFORM_SERVICE_TEST_CLAIM")
	out, err := OSRunner{}.Run(context.Background(), []string{env})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "claim-secret-value") {
		t.Error("the child sees the hidden variable")
	}
	if !strings.Contains(string(out), "PLEXFORM_SERVICE_TEST_KEPT=kept") {
		t.Error("the child lost a variable that is not hidden")
	}
}
