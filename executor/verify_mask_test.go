package executor

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
)

// A failed log check shows the line that matched, without the sign-in values the diff
// read, an e-mail address or a token.
func TestCheckLogMasksTheLineItShows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Plex Media Server.log")
	line := "ERROR - MyPlex: Error 401 (Unauthorized) refreshing the account of zed-user; X-Plex-Token=tok-LOG-123456 mail zed@example.com\n"
	if err := os.WriteFile(path, []byte("INFO - old\n"+line), 0o600); err != nil {
		t.Fatal(err)
	}
	user, tok := stores.Value{Text: "zed-user"}, stores.Value{Text: "tok-LOG-123456"}
	ch := &plan.Changes{Resources: []*plan.ResourceChange{{Values: []plan.ValueChange{
		{StoreName: "PlexOnlineUsername", Action: plan.Remove, Before: &user, Sensitive: true},
		{StoreName: "PlexOnlineToken", Action: plan.Remove, Before: &tok, Sensitive: true},
	}}}}
	_, err := checkLog(context.Background(), logMark{path: path, offset: int64(len("INFO - old\n"))}, []*regexp.Regexp{regexp.MustCompile(`MyPlex.*401`)}, sensitiveValues(ch))
	if err == nil || !strings.Contains(err.Error(), "MyPlex: Error 401") {
		t.Fatalf("checkLog = %v, want the matching line named", err)
	}
	for _, secret := range []string{"zed-user", "tok-LOG-123456", "zed@example.com"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows %q: %v", secret, err)
		}
	}
}
