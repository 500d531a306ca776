package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

// releaseSums is a SHA256SUMS of every archive, each with a sum of its own.
func releaseSums(version string) map[string]string {
	sums := map[string]string{}
	for i, t := range targets {
		ext := ".tar.gz"
		if strings.HasPrefix(t, "windows") {
			ext = ".zip"
		}
		sums["plexform_"+version+"_"+t+ext] = fmt.Sprintf("%064x", i+1)
	}
	return sums
}

// The formula fetches each OS and CPU's own archive with its own sum, installs what the
// archive holds where Homebrew puts it, and is Ruby that parses.
func TestFormula(t *testing.T) {
	sums := releaseSums("1.2.0")
	rb, err := formula(sums, "1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	got := string(rb)
	for _, target := range []string{"darwin_arm64", "darwin_amd64", "linux_arm64", "linux_amd64"} {
		name := "plexform_1.2.0_" + target + ".tar.gz"
		want := fmt.Sprintf("url \"https://github.com/plexform/plexform/releases/download/v1.2.0/%s\"\n      sha256 \"%s\"", name, sums[name])
		if !strings.Contains(got, want) {
			t.Errorf("the formula lacks\n%s\n%s", want, got)
		}
	}
	for _, want := range []string{`man1.install "plexform.1"`, `bash_completion.install "completions/plexform.bash" => "plexform"`,
		`zsh_completion.install "completions/plexform.zsh" => "_plexform"`, `fish_completion.install "completions/plexform.fish"`,
		`assert_match "plexform 1.2.0", shell_output("#{bin}/plexform version")`} {
		if !strings.Contains(got, want) {
			t.Errorf("the formula lacks %s", want)
		}
	}
	delete(sums, "plexform_1.2.0_darwin_arm64.tar.gz")
	if _, err := formula(sums, "1.2.0"); err == nil || !strings.Contains(err.Error(), "SHA256SUMS has no plexform_1.2.0_darwin_arm64.tar.gz") {
		t.Errorf("formula without the darwin_arm64 sum: %v", err)
	}

	ruby := testtool.Require(t, "ruby", "ruby")
	for _, c := range []struct {
		src    string
		wantOK bool
	}{{got, true}, {strings.Replace(got, "  end\nend\n", "end\n", 1), false}} {
		path := filepath.Join(t.TempDir(), "plexform.rb")
		if err := os.WriteFile(path, []byte(c.src), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(ruby, "-c", path).CombinedOutput()
		if (err == nil) != c.wantOK {
			t.Errorf("ruby -c (want ok %v): %v\n%s", c.wantOK, err, out)
		}
	}
}

// The Scoop manifest passes packaging/scoop.schema.json in python3-jsonschema, and the
// schema refuses what Scoop's refuses: a hash that is not one, a url with a variable,
// an architecture Scoop does not know.
func TestScoopManifestSchema(t *testing.T) {
	sums := releaseSums("1.2.0-rc.1")
	data, err := scoop(sums, "1.2.0-rc.1")
	if err != nil {
		t.Fatal(err)
	}
	var m scoopManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if a := m.Architecture["arm64"]; a.URL != "https://github.com/plexform/plexform/releases/download/v1.2.0-rc.1/plexform_1.2.0-rc.1_windows_arm64.zip" ||
		a.Hash != sums["plexform_1.2.0-rc.1_windows_arm64.zip"] || a.ExtractDir != "plexform_1.2.0-rc.1_windows_arm64" {
		t.Errorf("arm64: %+v", a)
	}
	python := testtool.Require(t, "python3", "python3-jsonschema")
	if out, err := exec.Command(python, "-c", "import jsonschema").CombinedOutput(); err != nil {
		testtool.Unavailable(t, "python3 cannot import jsonschema (Debian package python3-jsonschema): "+string(out))
	}
	bad := func(edit func(m map[string]any)) string {
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		edit(doc)
		out, _ := json.Marshal(doc)
		return string(out)
	}
	arch := func(doc map[string]any, a string) map[string]any {
		return doc["architecture"].(map[string]any)[a].(map[string]any)
	}
	for _, c := range []struct {
		name, doc string
		wantOK    bool
	}{
		{"generated", string(data), true},
		{"short hash", bad(func(d map[string]any) { arch(d, "64bit")["hash"] = "abc" }), false},
		{"variable url", bad(func(d map[string]any) { arch(d, "arm64")["url"] = "https://x/$version.zip" }), false},
		{"unknown arch", bad(func(d map[string]any) { d["architecture"].(map[string]any)["x86"] = arch(d, "64bit") }), false},
		{"no license", bad(func(d map[string]any) { delete(d, "license") }), false},
	} {
		path := filepath.Join(t.TempDir(), "plexform.json")
		if err := os.WriteFile(path, []byte(c.doc), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(python, "-m", "jsonschema", "-i", path, filepath.Join("..", "..", "packaging", "scoop.schema.json")).CombinedOutput()
		if (err == nil) != c.wantOK {
			t.Errorf("%s: jsonschema (want ok %v): %v\n%s", c.name, c.wantOK, err, out)
		}
	}
}
