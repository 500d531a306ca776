package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

// A package with a maintainer script, a stray file, a missing man page, a dependency and
// a binary that is not one is refused, each reason named: verify reads the .deb back
// with the real dpkg-deb.
func TestVerifyDebRejects(t *testing.T) {
	dpkgDebPath := testtool.Require(t, "dpkg-deb", "dpkg")
	root := filepath.Join(t.TempDir(), "root")
	files := map[string]string{
		"DEBIAN/control":   "Package: plexform\nVersion: 1.0.0\nArchitecture: arm64\nMaintainer: x <x@example.org>\nDepends: libc6\nDescription: x\n x\n",
		"DEBIAN/postinst":  "#!/bin/sh\nsystemctl enable plexform\n",
		"usr/bin/plexform": "not an ELF",
		"usr/share/bash-completion/completions/plexform":    "",
		"usr/share/zsh/vendor-completions/_plexform":        "",
		"usr/share/fish/vendor_completions.d/plexform.fish": "",
		"usr/share/doc/plexform/copyright":                  "",
		"usr/share/doc/plexform/changelog.gz":               "",
		"lib/systemd/system/plexform.service":               "[Service]\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if name == "DEBIAN/postinst" || name == "usr/bin/plexform" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	deb := filepath.Join(t.TempDir(), "plexform_1.0.0_arm64.deb")
	if out, err := exec.Command(dpkgDebPath, "--root-owner-group", "--build", root, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --build: %v\n%s", err, out)
	}
	err := verifyDeb(deb, "1.0.0", "amd64", "linux_amd64")
	if err == nil {
		t.Fatal("verifyDeb passed a package with a postinst and a service")
	}
	for _, want := range []string{
		"want (and no Depends)",
		"control member ./postinst: the package runs nothing at install",
		"./lib/: a directory the package has no use for",
		"./lib/systemd/system/plexform.service: not a file of the package",
		"./usr/bin/plexform: not an ELF file",
		"no ./usr/share/man/man1/plexform.1.gz",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("verifyDeb error lacks %q:\n%v", want, err)
		}
	}
}
