//go:build unix

package main

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

// runCLI runs plexform in-process with no environment, so the developer's own
// PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR cannot steer discovery.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut strings.Builder
	code = run(args, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(string) (string, bool) { return "", false }})
	return code, out.String(), errOut.String()
}

// fixtureSecrets are the made-up sign-in values of discovertest.PrefsXML.
var fixtureSecrets = []string{"FixtureTok3nAbCdEf123", "fixture-mail@example.invalid", "fixture-user"}

// TestPlexResetExampleOnEveryPlatformTree runs examples/plex-reset.yaml, unchanged, on
// a host tree of every platform row this OS can act on: plan finds the sign-in values
// in the right file, and doctor finds the same file; a row where no service can be
// found says so and how to name one.
func TestPlexResetExampleOnEveryPlatformTree(t *testing.T) {
	for _, p := range discovertest.Platforms {
		if p.GOOS != runtime.GOOS || p.Want.SettingsErr != "" {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			root := discovertest.Tree(t, p.Files)
			prefs := plan.RootedPath(root, p.Want.Path)
			code, stdout, stderr := runCLI("plan", "-root", root, "-f", "../../examples/plex-reset.yaml")
			// plan never shows the token, the e-mail address or the user name.
			for _, s := range fixtureSecrets {
				if strings.Contains(stdout+stderr, s) {
					t.Errorf("plan output shows a fixture secret")
				}
			}
			if code != exitOK {
				t.Fatalf("plan: exit %d\n%s%s", code, stdout, stderr)
			}
			for _, want := range []string{
				"# prefs (" + p.Want.Kind + ") will be updated in place",
				"# found: ", p.Want.How,
				"~ " + prefs,
				"- PlexOnlineToken    = (sensitive value)",
				"- PlexOnlineMail     = (sensitive value)",
				"Plan: 0 to add, 0 to change, 4 to remove.",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("plan output lacks %q:\n%s", want, stdout)
				}
			}

			if p.Want.ServiceErr != "" {
				// No service found: plan still shows the diff, warns and says how to name
				// the service; apply refuses and changes nothing.
				if !strings.Contains(stdout, "Warning: cannot read the state of plex") || !strings.Contains(stdout, p.Want.ServiceErr) {
					t.Errorf("plan does not warn naming the service problem %q:\n%s", p.Want.ServiceErr, stdout)
				}
				before := readFile(t, prefs)
				code, stdout, stderr = runCLI("apply", "-auto-approve", "-root", root, "-f", "../../examples/plex-reset.yaml")
				if code != exitError || !strings.Contains(stderr, "plex: cannot read its state") {
					t.Errorf("apply without a service: exit %d\n%s%s\nwant exit 1, refused", code, stdout, stderr)
				}
				if readFile(t, prefs) != before {
					t.Errorf("apply without a service changed %s", prefs)
				}
			}

			_, stdout, stderr = runCLI("doctor", "-json", "-root", root)
			var doc struct {
				Settings struct{ Kind, Target string }
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("doctor -json: %v\n%s%s", err, stdout, stderr)
			}
			if doc.Settings.Kind != p.Want.Kind || doc.Settings.Target != prefs {
				t.Errorf("doctor found %+v, want %s %s", doc.Settings, p.Want.Kind, prefs)
			}
			// doctor's output is meant for a forum post: nothing personal at all.
			for _, s := range fixtureSecrets {
				if strings.Contains(stdout+stderr, s) {
					t.Errorf("doctor output shows a fixture secret")
				}
			}
		})
	}
}

// The sign-in example validates as it is shipped.
func TestPlexSigninExample(t *testing.T) {
	if code, stdout, stderr := runCLI("validate", "-f", "../../examples/plex-signin.yaml"); code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
