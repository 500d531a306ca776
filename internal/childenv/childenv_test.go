package childenv

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

func TestFilter(t *testing.T) {
	Hide("PLEXFORM_CHILDENV_FILTER")
	env := []string{"A=1", "PLEXFORM_CHILDENV_FILTER=secret", "PLEXFORM_CHILDENV_FILTER_NOT=2", "=C:=C:\\x", "B=a=b"}
	got := Filter(env)
	want := []string{"A=1", "PLEXFORM_CHILDENV_FILTER_NOT=2", "=C:=C:\\x", "B=a=b"}
	if !slices.Equal(got, want) {
		t.Errorf("Filter = %q, want %q", got, want)
	}
	if !Hidden("PLEXFORM_CHILDENV_FILTER") || Hidden("PLEXFORM_CHILDENV_FILTER_NOT") {
		t.Error("Hidden disagrees with Hide")
	}
}

// TestChildDoesNotSeeHidden runs a real child, env(1), with the environment Apply gives.
func TestChildDoesNotSeeHidden(t *testing.T) {
	envPath := testtool.Require(t, "env", "coreutils")
	t.Setenv("PLEXFORM_CHILDENV_SECRET", "s3cr3t-value")
	t.Setenv("PLEXFORM_CHILDENV_KEPT", "kept")
	Hide("PLEXFORM_CHILDENV_SECRET")
	for name, cmd := range map[string]*exec.Cmd{
		"inherited environment": exec.Command(envPath),
		"explicit environment":  {Path: envPath, Args: []string{"env"}, Env: append(Environ(), "PLEXFORM_CHILDENV_SECRET=again")},
	} {
		Apply(cmd)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(string(out), "PLEXFORM_CHILDENV_SECRET") || strings.Contains(string(out), "s3cr3t-value") {
			t.Errorf("%s: the child sees the hidden variable", name)
		}
		if !strings.Contains(string(out), "PLEXFORM_CHILDENV_KEPT=kept") {
			t.Errorf("%s: the child lost a variable that is not hidden", name)
		}
	}
}
