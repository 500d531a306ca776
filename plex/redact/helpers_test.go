package redact

import (
	"fmt"
	"github.com/plexform/plexform/internal/testtool"
	"os"
	"strings"
	"testing"
)

// needTool skips without an external tool, except in CI where it must be there.
func needTool(t *testing.T, name, pkg string) {
	t.Helper()
	testtool.Require(t, name, pkg)
}

// assertNoSecret fails, without printing the secret, when text still holds it.
func assertNoSecret(t *testing.T, text string, secrets []string) {
	t.Helper()
	for i, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("secret #%d (%d chars) is still in the output", i, len(s))
		}
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func sprint(v any) string { return fmt.Sprintf("%#v", v) }
