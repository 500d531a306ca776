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

// entry is one file or directory of an archive; entries are written in name order.
type entry struct {
	name string // slash-separated, under the archive's top directory; a directory's ends in "/"
	mode fs.FileMode
	data []byte
}

func (e entry) isDir() bool { return strings.HasSuffix(e.name, "/") }

// readTarget reads the tree under dir: the binary, README.md, LICENSE, the man page, the
// completions, docs/ and examples/, as release.sh put them there. Anything that is
// neither a regular file nor a directory (a link, a FIFO) is an error: a release holds
// exactly what was copied in.
func readTarget(dir, exe string) (top string, files []entry, err error) {
	dir = filepath.Clean(dir)
	top = filepath.Base(dir)
	err = filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		name := top + "/" + filepath.ToSlash(rel)
		switch {
		case de.IsDir():
			files = append(files, entry{name: name + "/", mode: fs.ModeDir | 0o755})
			return nil
		case !de.Type().IsRegular():
			return fmt.Errorf("%s: %s is not a regular file", dir, rel)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if rel == exe {
			mode = 0o755
		}
		files = append(files, entry{name: name, mode: mode, data: data})
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	if exe != "" && !slices.ContainsFunc(files, func(e entry) bool { return e.mode == 0o755 }) {
		return "", nil, fmt.Errorf("%s has no %s", dir, exe)
	}
	slices.SortFunc(files, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return top, files, nil
}

// writeArchive packs dir as OUT.tar.gz or OUT.zip: a top directory named like dir, then
// its files and directories in name order, each with mtime, owner 0:0 and mode 0644
// (0755 for exe and directories).
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
		if f.isDir() {
			if err := tw.WriteHeader(hdr(f.name, f.mode.Perm(), 0, tar.TypeDir)); err != nil {
				return nil, err
			}
			continue
		}
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
		if f.isDir() {
			h := &zip.FileHeader{Name: f.name, Method: zip.Store, Modified: mtime}
			h.SetMode(f.mode)
			if _, err := zw.CreateHeader(h); err != nil {
				return nil, err
			}
			continue
		}
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
