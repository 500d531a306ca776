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

func targetDir(t *testing.T, name string, fileMode os.FileMode, mtime time.Time) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for file, content := range map[string]string{"plexform": "\x7fELF not really", "README.md": "# plexform\n", "LICENSE": "Apache\n"} {
		p := filepath.Join(dir, file)
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
				"plexform_1.0.0_linux_amd64/plexform -rwxr-xr-x 0:0 1700000000",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestArchiveRefusesOtherFiles(t *testing.T) {
	dir := targetDir(t, "x", 0o644, time.Now())
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeArchive(filepath.Join(t.TempDir(), "x.tar.gz"), dir, "plexform", time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("writeArchive with a subdirectory: %v", err)
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
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("verifyDist error lacks %q:\n%v", want, err)
		}
	}
}
