package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
)

// TestSchemaAssetAgrees: for a release version, the URL `plexform init` writes
// (plan.SchemaURL), the schema's $id and the asset release.sh publishes are one: the
// URL is the asset's download URL and ends in the asset's name, and verify accepts the
// schema made for it. The committed schema (the main branch's $id), a changed one and a
// check without a version are refused.
func TestSchemaAssetAgrees(t *testing.T) {
	for _, version := range []string{"1.2.0", "1.2.0-rc.1", "0.0.0-releasetest"} {
		url := plan.SchemaURL(version)
		if want := fmt.Sprintf(releaseURL, version, plan.SchemaAsset); url != want {
			t.Errorf("plan.SchemaURL(%s) = %s, want the release asset %s", version, url, want)
		}
		if path.Base(url) != plan.SchemaAsset {
			t.Errorf("plan.SchemaURL(%s) = %s does not end in the asset's name %s", version, url, plan.SchemaAsset)
		}
		schema, err := plan.Schema(url)
		if err != nil {
			t.Fatal(err)
		}
		asset := filepath.Join(t.TempDir(), plan.SchemaAsset)
		if err := os.WriteFile(asset, schema, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := verifySchemaAsset(asset, version); err != nil {
			t.Errorf("verify refuses the schema made for %s: %v", version, err)
		}
		if err := verifySchemaAsset(asset, "1.9.9"); err == nil || !strings.Contains(err.Error(), "$id is") {
			t.Errorf("verify of %s's schema as 1.9.9's = %v, want a wrong $id", version, err)
		}
		if err := os.WriteFile(asset, append(schema, ' '), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := verifySchemaAsset(asset, version); err == nil || !strings.Contains(err.Error(), "differs") {
			t.Errorf("verify of a changed schema = %v, want it to differ", err)
		}
	}
	committed := filepath.Join("..", "..", "docs", plan.SchemaAsset)
	if err := verifySchemaAsset(committed, "1.2.0"); err == nil || !strings.Contains(err.Error(), "$id is \""+plan.SchemaMainURL+"\"") {
		t.Errorf("verify of the committed (main branch's) schema as a release's = %v, want its $id refused", err)
	}
	if err := verifySchemaAsset(committed, ""); err == nil {
		t.Error("verify of the schema without -version passed")
	}
}

// TestReleaseBinaryNamesItsSchemaAsset builds plexform stamped as a release, as
// release.sh does, and checks that what it prints agrees with the asset: its `schema`
// passes verify for that version, and the first line `init` writes names the asset's
// download URL, which is the $id.
func TestReleaseBinaryNamesItsSchemaAsset(t *testing.T) {
	if testing.Short() {
		t.Skip("builds plexform; -short skips it (scripts/release-test.sh checks the release's own binary)")
	}
	const version = "1.2.0-rc.1"
	bin := filepath.Join(t.TempDir(), "plexform")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+version, "-o", bin, "../../cmd/plexform")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	schema, err := exec.Command(bin, "schema").Output()
	if err != nil {
		t.Fatalf("plexform schema: %v", err)
	}
	asset := filepath.Join(t.TempDir(), plan.SchemaAsset)
	if err := os.WriteFile(asset, schema, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := verifySchemaAsset(asset, version); err != nil {
		t.Errorf("the release binary's schema: %v", err)
	}

	// A Debian host tree with Plex's unit and settings, for init to find.
	tree := t.TempDir()
	for name, content := range map[string]string{
		"lib/systemd/system/plexmediaserver.service":                                            "[Service]\nEnvironment=PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR=/var/lib/plexmediaserver/Library/Application\\x20Support\nUser=plex\nGroup=plex\n",
		"var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml": "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Preferences FriendlyName=\"den\"/>\n",
	} {
		p := filepath.Join(tree, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "init", "-f", "-", "-root", tree)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("plexform init: %v\n%s", err, stderr.String())
	}
	first, _ := bufio.NewReader(bytes.NewReader(out)).ReadString('\n')
	if want := "# yaml-language-server: $schema=" + fmt.Sprintf(releaseURL, version, plan.SchemaAsset) + "\n"; first != want {
		t.Errorf("init's first line = %q, want %q", first, want)
	}
}
