package executor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/signin"
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

// What the stores hold after the run is masked too: a re-link's new token and another
// account's user name, which no diff read, are not shown in a failed log check.
func TestCheckLogMasksWhatTheStoresHoldNow(t *testing.T) {
	dir := t.TempDir()
	prefs := filepath.Join(dir, "Preferences.xml")
	if err := os.WriteFile(prefs, []byte(`<Preferences PlexOnlineToken="nt~9.a!b" PlexOnlineUsername="newowner-x" FriendlyName="den"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := plan.Decode(filepath.Join(dir, "plan.yaml"), []byte(fmt.Sprintf("version: 1\nresources:\n  - {name: prefs, kind: xml_attributes, path: %q, set: {FriendlyName: den}}\n", prefs)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.Open(p, host.Options{GOOS: runtime.GOOS})
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "Plex Media Server.log")
	if err := os.WriteFile(log, []byte("ERROR - MyPlex: Error 401 for newowner-x with nt~9.a!b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := storeSecrets(context.Background(), []*host.StoreStep{{Store: h.Stores[0]}})
	_, err = checkLog(context.Background(), logMark{path: log}, []*regexp.Regexp{regexp.MustCompile(`MyPlex.*401`)}, secrets)
	if err == nil || !strings.Contains(err.Error(), "MyPlex: Error 401") {
		t.Fatalf("checkLog = %v, want the matching line named", err)
	}
	for _, secret := range []string{"newowner-x", "nt~9.a!b"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows %q: %v", secret, err)
		}
	}
	if strings.Contains(strings.Join(secrets, " "), "den") {
		t.Error("a value that is not sensitive (FriendlyName) is masked too")
	}
}

// A verify URL's password is in no error or event of a check, failed or passed.
func TestVerifyHTTPShowsNoPassword(t *testing.T) {
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer peer.Close()
	withPassword := strings.Replace(peer.URL, "http://", "http://bob:s3cretpw@", 1)
	for _, check := range []*plan.HTTPCheck{
		{URL: withPassword + "/identity", Status: 200, Timeout: 5 * time.Second},
		{URL: "http://bob:s3cretpw@127.0.0.1:1/identity", Status: 200, Timeout: 50 * time.Millisecond},
	} {
		var events eventLog
		r := &run{steps: &host.Steps{Checks: []host.Check{{HTTP: check}}}, obs: &events}
		err := r.verify(context.Background())
		shown := fmt.Sprintf("%v %+v", err, events)
		if strings.Contains(shown, "s3cretpw") || !strings.Contains(shown, "bob:xxxxx@") {
			t.Errorf("verify of %s shows the password, or names no URL: %s", signin.Redacted(check.URL), strings.ReplaceAll(shown, "s3cretpw", "(the password)"))
		}
	}
}

// eventLog keeps every event an apply reports.
type eventLog []Event

func (l *eventLog) Event(e Event)                         { *l = append(*l, e) }
func (l *eventLog) Waiting(string, string, time.Duration) {}
