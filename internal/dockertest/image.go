package dockertest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"testing"
	"time"
)

// File is one entry of an image built from files: a regular file (Data, Mode), a
// directory (Dir), or a symlink (Link).
type File struct {
	Name string
	Mode int64
	Data []byte
	Dir  bool
	Link string
}

// imageTar is the tar that `docker import` turns into an image's one layer.
func imageTar(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Mode: f.Mode, ModTime: now}
		switch {
		case f.Dir:
			h.Typeflag = tar.TypeDir
		case f.Link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, f.Link, 0o777
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// importImage imports files as the image tag, with docker import's --change lines.
func (e *Env) importImage(tag string, files []File, changes ...string) error {
	data, err := imageTar(files)
	if err != nil {
		return fmt.Errorf("image %s: %w", tag, err)
	}
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	cmd := e.command(append(args, "-", tag)...)
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker import %s: %v\n%s", tag, err, out)
	}
	return nil
}

// ImportImage builds the image tag from files (changes as docker import's --change
// takes them) on the engine and removes it when the test ends.
func (e *Env) ImportImage(t *testing.T, tag string, files []File, changes ...string) {
	t.Helper()
	if err := e.importImage(tag, files, changes...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.command("rmi", "-f", tag).Run() })
}
