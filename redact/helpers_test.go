package redact

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// needTool skips without an external tool, except in CI where it must be there.
func needTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing in CI (Debian %s)", name, pkg)
		}
		t.Skipf("%s not installed (Debian %s); skipping the cross-check", name, pkg)
	}
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
