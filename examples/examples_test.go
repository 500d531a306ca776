// Package examples holds no code: its test checks the example files people copy.
package examples

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	_ "github.com/plexform/plexform/kinds" // the kinds its plans name
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	_ "github.com/plexform/plexform/host" // hands stores/service's managers to plan, as the program does
	"github.com/plexform/plexform/internal/testtool"
	"github.com/plexform/plexform/plan"
)

// yamlFiles are every example YAML file (the demo host's tree holds none).
func yamlFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 9 {
		t.Fatalf("found only %d example YAML files: %v", len(files), files)
	}
	return files
}

// Every example parses as YAML, each document of it; plans also as plans.
func TestEveryExampleParses(t *testing.T) {
	for _, path := range yamlFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for n := 0; ; n++ {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				if n == 0 {
					t.Errorf("%s: no YAML document", path)
				}
				break
			}
			if err != nil {
				t.Errorf("%s: %v", path, err)
				break
			}
		}
		if filepath.Dir(path) == "." {
			if _, err := plan.Decode(path, data); err != nil {
				t.Errorf("%s is not a valid plan: %v", path, err)
			}
		}
	}
}

// actionlintVersion is github.com/rhysd/actionlint's release the workflow is linted with.
const actionlintVersion = "v1.7.12"

// The GitHub Actions workflow passes actionlint (built from its Go module).
func TestGitHubWorkflowLints(t *testing.T) {
	if testing.Short() {
		t.Skip("builds actionlint; skipped in -short")
	}
	goTool := testtool.Require(t, "go", "golang-go")
	cmd := exec.Command(goTool, "run", "github.com/rhysd/actionlint/cmd/actionlint@"+actionlintVersion, "-no-color", "-config-file", "ci/actionlint.yaml", "ci/github-actions.yml")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		t.Fatalf("actionlint finds problems in ci/github-actions.yml:\n%s", out)
	case err != nil:
		testtool.Unavailable(t, "actionlint "+actionlintVersion+" could not be built or run (no module proxy?): "+err.Error()+"\n"+string(out))
	}
}

// The GitLab job runs on the Plex host's runner, fails on drift on a schedule and
// applies only by hand.
func TestGitLabJobs(t *testing.T) {
	var ci map[string]any
	data, err := os.ReadFile("ci/gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &ci); err != nil {
		t.Fatal(err)
	}
	type job struct {
		Tags   []string
		Script []string
		Rules  []map[string]string
		Stage  string
	}
	jobs := map[string]job{}
	for name, v := range ci {
		m, ok := v.(map[string]any)
		if !ok || m["script"] == nil {
			continue
		}
		raw, _ := yaml.Marshal(m)
		var j job
		if err := yaml.Unmarshal(raw, &j); err != nil {
			t.Fatalf("job %s: %v", name, err)
		}
		jobs[name] = j
		if len(j.Tags) != 1 || j.Tags[0] != "plex-host" {
			t.Errorf("job %s does not run on the plex-host runner: tags %v", name, j.Tags)
		}
	}
	drift, apply := jobs["plexform:drift"], jobs["plexform:apply"]
	if !strings.Contains(strings.Join(drift.Script, "\n"), "plan -detailed-exitcode") || len(drift.Rules) != 1 || !strings.Contains(drift.Rules[0]["if"], `"schedule"`) {
		t.Errorf("the drift job does not run plan -detailed-exitcode on a schedule: %+v", drift)
	}
	if len(apply.Rules) != 1 || apply.Rules[0]["when"] != "manual" || !strings.Contains(strings.Join(apply.Script, "\n"), "plexform apply .plexform.plan") {
		t.Errorf("the apply job is not manual, or does not apply the saved plan: %+v", apply)
	}
}

// The Helm values' init script, run for real by sh with plexform built from this tree
// (its /config and Secret paths moved into a temp dir): it resets the sign-in once per
// claim token, and leaves it alone without a Secret or with the same token again.
func TestKubernetesInitScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds plexform; skipped in -short")
	}
	sh := testtool.Require(t, "sh", "dash")
	var values struct {
		InitContainer struct{ Script string } `yaml:"initContainer"`
		Pms           struct {
			ClaimSecret struct{ Name, Key string } `yaml:"claimSecret"`
		}
	}
	data, err := os.ReadFile("kubernetes/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	if values.Pms.ClaimSecret.Name != "plex-claim" || values.Pms.ClaimSecret.Key != "token" {
		t.Errorf("Plex's PLEX_CLAIM does not come from the plex-claim Secret: %+v", values.Pms.ClaimSecret)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command(testtool.Require(t, "go", "golang-go"), "build", "-o", filepath.Join(bin, "plexform"), "../cmd/plexform")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build plexform: %v\n%s", err, out)
	}
	config, secrets := filepath.Join(tmp, "config"), filepath.Join(tmp, "secrets")
	script := strings.NewReplacer("/run/secrets/plex-claim", secrets, "/config", config, "/tmp/plexform.yaml", filepath.Join(tmp, "plexform.yaml")).Replace(values.InitContainer.Script)
	if err := os.WriteFile(filepath.Join(tmp, "init.sh"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	prefs := filepath.Join(config, "Library", "Application Support", "Plex Media Server", "Preferences.xml")
	if err := os.MkdirAll(filepath.Dir(prefs), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	signedIn := `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences FriendlyName="k8s" PlexOnlineToken="tok-SECRET-1" PlexOnlineMail="a@example.invalid" PlexOnlineUsername="ann" PlexOnlineHome="1"/>` + "\n"
	reset := `<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences FriendlyName="k8s"/>` + "\n"
	writePrefs := func(s string) {
		if err := os.WriteFile(prefs, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runInit := func(want string) {
		t.Helper()
		cmd := exec.Command(sh, filepath.Join(tmp, "init.sh"))
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("init script: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), want) {
			t.Fatalf("init script output lacks %q:\n%s", want, out)
		}
		if strings.Contains(string(out), "tok-SECRET-1") || strings.Contains(string(out), "claim-first") {
			t.Fatalf("init script printed a secret:\n%s", out)
		}
	}
	prefsAre := func(want string) {
		t.Helper()
		got, err := os.ReadFile(prefs)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("Preferences.xml:\n%s\nwant:\n%s", got, want)
		}
	}

	writePrefs(signedIn)
	runInit("no claim token in the plex-claim Secret")
	prefsAre(signedIn)

	if err := os.WriteFile(filepath.Join(secrets, "token"), []byte("claim-first"), 0o400); err != nil {
		t.Fatal(err)
	}
	runInit("Apply complete!")
	prefsAre(reset)
	if backups, _ := filepath.Glob(filepath.Join(config, "plexform-backups", "*-prefs.xml")); len(backups) != 1 {
		t.Errorf("backups after the reset: %v", backups)
	}

	// The marker holds a salted digest: not the token, not its plain sha256.
	marker, err := os.ReadFile(filepath.Join(config, ".plexform-last-claim"))
	if err != nil {
		t.Fatal(err)
	}
	plain := sha256.Sum256([]byte("claim-first"))
	if fields := strings.Fields(string(marker)); len(fields) != 2 || len(fields[0]) != 32 || len(fields[1]) != 64 ||
		strings.Contains(string(marker), "claim-first") || strings.Contains(string(marker), hex.EncodeToString(plain[:])) {
		t.Errorf("marker %q: want \"SALT DIGEST\" with a 16-byte salt and no plain digest", marker)
	}

	// Plex claimed the server at start; a pod restart with the same Secret keeps that.
	writePrefs(signedIn)
	runInit("already reset for this claim token")
	prefsAre(signedIn)

	// A marker written before the salt (the plain digest) still counts as this token.
	if err := os.WriteFile(filepath.Join(config, ".plexform-last-claim"), []byte(hex.EncodeToString(plain[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runInit("already reset for this claim token")
	prefsAre(signedIn)

	if err := os.Remove(filepath.Join(secrets, "token")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secrets, "token"), []byte("claim-second"), 0o400); err != nil {
		t.Fatal(err)
	}
	runInit("Apply complete!")
	prefsAre(reset)
}
