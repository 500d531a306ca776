package host

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/plexsim/plexsimtest"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover/discovertest"
)

// A store is Plex's settings by what it holds too: a file of any name with the
// ProcessedMachineIdentifier of the server answering /identity here is refused while
// that server runs and no service guards it; with a service, or another identifier, it
// is not.
func TestRefuseWhileRunningByIdentity(t *testing.T) {
	dir := t.TempDir()
	prefs := filepath.Join(dir, "copy-of-settings.xml")
	if err := os.WriteFile(prefs, []byte(discovertest.PrefsXML), 0o600); err != nil {
		t.Fatal(err)
	}
	addrFile := filepath.Join(dir, "addr")
	cmd := exec.Command(plexsimtest.Build(t), "-prefs", prefs, "-listen", "127.0.0.1:0", "-addr-file", addrFile, "-log", filepath.Join(dir, "pms.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := plexsimtest.WaitAddr(t, addrFile)
	noEngine := "unix://" + filepath.Join(dir, "no.sock")
	env := func(k string) (string, bool) { return noEngine, k == "DOCKER_HOST" }

	for _, c := range []struct {
		name, plan string
		refused    bool
	}{
		{"unguarded", "resources:\n  - {name: prefs, kind: xml_attributes, path: '" + prefs + "', absent: [PlexOnlineToken]}\n", true},
		{"guarded", "resources:\n  - {name: prefs, kind: xml_attributes, path: '" + prefs + "', absent: [PlexOnlineToken], service: plex}\n" +
			"  - {name: plex, kind: service, manager: exec, start: ['true'], stop: ['true'], status: ['true']}\n", false},
		{"nothing to change", "resources:\n  - {name: prefs, kind: xml_attributes, path: '" + prefs + "', absent: [NotThere]}\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := plan.Decode(filepath.Join(dir, "plan.yaml"), []byte("version: 1\n"+c.plan))
			if err != nil {
				t.Fatal(err)
			}
			h, err := Open(p, Options{GOOS: "linux", Getenv: env, IdentityURL: "http://" + addr})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := h.Diff(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			refused := ch.Refused()
			if (len(refused) > 0) != c.refused {
				t.Fatalf("refused %q, want refused=%v", refused, c.refused)
			}
			if c.refused && (!strings.Contains(refused[0], "/identity reports this file's ProcessedMachineIdentifier") || !strings.Contains(refused[0], "kind: service")) {
				t.Errorf("the refusal does not say what runs and what to add:\n%s", refused[0])
			}
		})
	}
}
