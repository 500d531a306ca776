package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// targetFiles is a target directory as release.sh fills it, in small.
var targetFiles = map[string]string{
	"plexform":                  "\x7fELF not really",
	"README.md":                 "# plexform\nSee [apply](docs/apply.md) and `examples/plex-reset.yaml`.\n",
	"LICENSE":                   "Apache\n",
	"plexform.1":                `.\\" generated` + "\n.TH PLEXFORM 1 \"2023-11-14\" \"plexform 1.0.0\"\n",
	"completions/plexform.bash": "complete -F _plexform plexform\n",
	"completions/plexform.zsh":  "#compdef plexform\n",
	"completions/plexform.fish": "complete -c plexform\n",
	"completions/plexform.ps1":  "Register-ArgumentCompleter\n",
	"docs/apply.md":             "# apply\n",
	"examples/plex-reset.yaml":  "version: 1\n",
}

func targetDir(t *testing.T, name string, fileMode os.FileMode, mtime time.Time) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for file, content := range targetFiles {
		p := filepath.Join(dir, file)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), fileMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The same files give the same archive bytes whatever their modes and times on disk.
func TestArchiveReproducible(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	for _, ext := range []string{".tar.gz", ".zip"} {
		t.Run(ext, func(t *testing.T) {
			a := filepath.Join(t.TempDir(), "a"+ext)
			b := filepath.Join(t.TempDir(), "b"+ext)
			if err := writeArchive(a, targetDir(t, "plexform_1.0.0_linux_amd64", 0o600, time.Now()), "plexform", epoch); err != nil {
				t.Fatal(err)
			}
			if err := writeArchive(b, targetDir(t, "plexform_1.0.0_linux_amd64", 0o775, time.Unix(5, 0)), "plexform", epoch); err != nil {
				t.Fatal(err)
			}
			da, _ := os.ReadFile(a)
			db, _ := os.ReadFile(b)
			if !bytes.Equal(da, db) {
				t.Fatalf("two archives of the same files differ (%d and %d bytes)", len(da), len(db))
			}
			read := readTarGz
			if ext == ".zip" {
				read = readZip
			}
			members, err := read(da)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range members {
				got = append(got, fmt.Sprintf("%s %v %d:%d %d", m.name, m.mode, m.uid, m.gid, m.mtime.Unix()))
			}
			want := []string{
				"plexform_1.0.0_linux_amd64/ drwxr-xr-x 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/LICENSE -rw-r--r-- 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/README.md -rw-r--r-- 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/completions/ drwxr-xr-x 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/completions/plexform.bash -rw-r--r-- 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/completions/plexform.fish -rw-r--r-- 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/completions/plexform.ps1 -rw-r--r-- 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/completions/plexform.zsh -rw-r--r-- 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/docs/ drwxr-xr-x 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/docs/apply.md -rw-r--r-- 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/examples/ drwxr-xr-x 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/examples/plex-reset.yaml -rw-r--r-- 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/plexform -rwxr-xr-x 0:0 1700000000",
				"plexform_1.0.0_linux_amd64/plexform.1 -rw-r--r-- 0:0 1700000000",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// A link in the tree (to a file outside it, say) is refused, not followed or packed.
func TestArchiveRefusesOtherFiles(t *testing.T) {
	dir := targetDir(t, "x", 0o644, time.Now())
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "docs", "passwd")); err != nil {
		t.Fatal(err)
	}
	if err := writeArchive(filepath.Join(t.TempDir(), "x.tar.gz"), dir, "plexform", time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), "docs/passwd is not a regular file") {
		t.Errorf("writeArchive with a symlink: %v", err)
	}
}

// An archive that lacks what the README links, holds a Go test, or has no man page is
// refused, each reason named.
func TestVerifyArchiveContents(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(dir string) error
		want   string
	}{
		{"README link", func(dir string) error { return os.Remove(filepath.Join(dir, "docs", "apply.md")) },
			"README.md names docs/apply.md, which is not in the archive"},
		{"Go test", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "examples", "examples_test.go"), nil, 0o644)
		}, "a Go test file has no place in a release"},
		{"man page", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "plexform.1"), []byte("hello\n"), 0o644)
		},
			"plexform.1 has no .TH PLEXFORM 1 line"},
		{"completion", func(dir string) error { return os.Remove(filepath.Join(dir, "completions", "plexform.zsh")) },
			"no plexform_1.0.0_linux_amd64/completions/plexform.zsh"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := targetDir(t, "plexform_1.0.0_linux_amd64", 0o644, time.Now())
			if err := c.change(dir); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "plexform_1.0.0_linux_amd64.tar.gz")
			if err := writeArchive(out, dir, "plexform", time.Unix(1, 0)); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(out)
			err := verifyArchive(filepath.Base(out), data, "linux", "amd64")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("verifyArchive = %v, want an error with %q", err, c.want)
			}
		})
	}
}

// The test binary itself is an ELF for this machine, but not a release build: verify
// must say what is wrong with it, and must not take it for another format.
func TestVerifyBinaryRejects(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the test binary is a linux/amd64 ELF only on linux/amd64")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ goos, arch, want string }{
		{"darwin", "amd64", "not a Mach-O file"},
		{"windows", "arm64", "not a PE file"},
		{"linux", "arm64", "ELF machine EM_X86_64, want EM_AARCH64"},
		{"freebsd", "amd64", "ELF OS ABI ELFOSABI_NONE, want ELFOSABI_FREEBSD"},
		// go test links with cgo where it can, and never with -trimpath.
		{"linux", "amd64", "dynamically linked|built with -trimpath"},
	} {
		err := verifyBinary(bin, c.goos, c.arch)
		if err == nil || !slices.ContainsFunc(strings.Split(c.want, "|"), func(w string) bool { return strings.Contains(err.Error(), w) }) {
			t.Errorf("verifyBinary(test binary, %s, %s) = %v, want an error with %q", c.goos, c.arch, err, c.want)
		}
	}
}

// A tampered archive, a missing target and a stray file are all reported, together.
func TestVerifyDistReports(t *testing.T) {
	dist := t.TempDir()
	archive := filepath.Join(dist, "plexform_1.0.0_linux_amd64.tar.gz")
	if err := writeArchive(archive, targetDir(t, "plexform_1.0.0_linux_amd64", 0o644, time.Now()), "plexform", time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(archive)
	sum := sha256.Sum256(append(data, 0))
	sums := hex.EncodeToString(sum[:]) + "  plexform_1.0.0_linux_amd64.tar.gz\n"
	if err := os.WriteFile(filepath.Join(dist, "SHA256SUMS"), []byte(sums), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := verifyDist(dist, "1.0.1")
	if err == nil {
		t.Fatal("verifyDist passed a tampered dist")
	}
	for _, want := range []string{
		"notes.txt: not a release archive name",
		"version 1.0.0, want 1.0.1",
		"sha256 does not match SHA256SUMS",
		"not an ELF file",
		"no archive for darwin_arm64",
		"no plexform.schema.json",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("verifyDist error lacks %q:\n%v", want, err)
		}
	}
}
