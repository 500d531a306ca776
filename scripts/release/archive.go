package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// entry is one file of an archive; entries are written in name order.
type entry struct {
	name string // slash-separated, under the archive's top directory
	mode fs.FileMode
	data []byte
}

// readTarget reads the regular files directly in dir: the binary, README.md and LICENSE.
// Anything else (a subdirectory, a link) is an error: a release holds exactly what
// release.sh put there.
func readTarget(dir, exe string) (top string, files []entry, err error) {
	top = filepath.Base(filepath.Clean(dir))
	des, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, err
	}
	for _, de := range des {
		if !de.Type().IsRegular() {
			return "", nil, fmt.Errorf("%s: %s is not a regular file", dir, de.Name())
		}
		data, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			return "", nil, err
		}
		mode := fs.FileMode(0o644)
		if de.Name() == exe {
			mode = 0o755
		}
		files = append(files, entry{name: top + "/" + de.Name(), mode: mode, data: data})
	}
	if exe != "" && !slices.ContainsFunc(files, func(e entry) bool { return e.mode == 0o755 }) {
		return "", nil, fmt.Errorf("%s has no %s", dir, exe)
	}
	slices.SortFunc(files, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return top, files, nil
}

// writeArchive packs dir as OUT.tar.gz or OUT.zip: a top directory named like dir, then
// its files in name order, each with mtime, owner 0:0 and mode 0644 (0755 for exe).
// The same files and mtime always give the same bytes.
func writeArchive(out, dir, exe string, mtime time.Time) error {
	top, files, err := readTarget(dir, exe)
	if err != nil {
		return err
	}
	var data []byte
	switch {
	case strings.HasSuffix(out, ".tar.gz"):
		data, err = tarGz(top, files, mtime)
	case strings.HasSuffix(out, ".zip"):
		data, err = zipOf(top, files, mtime)
	default:
		return fmt.Errorf("%s: the name must end in .tar.gz or .zip", out)
	}
	if err != nil {
		return fmt.Errorf("pack %s: %w", out, err)
	}
	return os.WriteFile(out, data, 0o644)
}

func tarGz(top string, files []entry, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	// No name and no time in the gzip header: only the content decides the bytes.
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	hdr := func(name string, mode fs.FileMode, size int64, typ byte) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Mode: int64(mode), Size: size, ModTime: mtime,
			Uname: "root", Gname: "root", Format: tar.FormatUSTAR}
	}
	if err := tw.WriteHeader(hdr(top+"/", 0o755, 0, tar.TypeDir)); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := tw.WriteHeader(hdr(f.name, f.mode, int64(len(f.data)), tar.TypeReg)); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func zipOf(top string, files []entry, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	dirHdr := &zip.FileHeader{Name: top + "/", Method: zip.Store, Modified: mtime}
	dirHdr.SetMode(fs.ModeDir | 0o755)
	if _, err := zw.CreateHeader(dirHdr); err != nil {
		return nil, err
	}
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(f.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
