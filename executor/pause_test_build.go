//go:build plexformtest

package executor

import (
	"os"
	"time"
)

// pause stops the process at the step named by PLEXFORM_TEST_PAUSE_AT, after creating
// the file PLEXFORM_TEST_PAUSED, so a test can SIGKILL it there. Only binaries built with
// -tags plexformtest have it; release builds have pause.go's no-op.
func pause(step string) {
	if step == "" || os.Getenv("PLEXFORM_TEST_PAUSE_AT") != step {
		return
	}
	if marker := os.Getenv("PLEXFORM_TEST_PAUSED"); marker != "" {
		_ = os.WriteFile(marker, []byte(step), 0o600)
	}
	for {
		time.Sleep(time.Hour)
	}
}
