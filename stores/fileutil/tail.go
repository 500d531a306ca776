package fileutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// LogWindow is the most of a log's end ReadTail reads (4 MiB): Plex rotates its log at
// a few megabytes, and what an apply or doctor looks for is in its last lines. A planted
// 2 GiB (or sparse, or endless) log then costs a few megabytes, not gigabytes.
const LogWindow = 4 << 20

// Tail is the end of a log as ReadTail read it.
type Tail struct {
	// Lines are the whole lines read, oldest first, without their newlines.
	Lines []string
	// Size is the file's size when it was read.
	Size int64
	// Skipped is how many bytes after from were left unread because more than
	// LogWindow was new.
	Skipped int64
}

// ReadTail reads the lines the log at path has after offset from (its size at an
// earlier LogSize), but no more than its last LogWindow bytes, starting at the first
// whole line in them. A from past the end means the log was rotated or truncated since:
// all of it is new.
//
// A log lives in a directory its service's user writes (Plex's Logs folder belongs to
// plex), and plexform reads it as root, so the log is treated as hostile: opened
// non-blocking and only as a regular file (a FIFO is an error, never a hang), never
// through a symlink that another user made (Plex's log is no symlink; see openLog), and
// read only as far as LogWindow. A missing log is an error that errors.Is
// fs.ErrNotExist.
func (r Root) ReadTail(path string, from int64) (Tail, error) {
	return r.readTail(path, from, LogWindow)
}

func (r Root) readTail(path string, from, window int64) (Tail, error) {
	f, err := r.openLog(path)
	if err != nil {
		return Tail{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Tail{}, fmt.Errorf("read %s: %w", path, err)
	}
	size := fi.Size()
	if from < 0 || from > size {
		from = 0
	}
	start := max(from, size-window)
	// When the window cuts into the new text, it is read from one byte earlier: the
	// first line it holds whole starts after the first newline in it, which is that
	// byte itself when the window starts at a line.
	at := start
	if start > from {
		at--
	}
	buf := make([]byte, size-at)
	n, err := io.ReadFull(io.NewSectionReader(f, at, size-at), buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Tail{}, fmt.Errorf("read %s: %w", path, err)
	}
	text := string(buf[:n]) // truncated since the Stat: what is there
	if start > from {
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:]
		} else {
			text = ""
		}
	}
	t := Tail{Size: size, Skipped: start - from}
	if text = strings.TrimSuffix(text, "\n"); text != "" {
		t.Lines = strings.Split(text, "\n")
	}
	return t, nil
}

// LogSize is the size of the log at path, opened as ReadTail opens it: the from of a
// later ReadTail that wants only the lines written in between.
func (r Root) LogSize(path string) (int64, error) {
	f, err := r.openLog(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return fi.Size(), nil
}

// openLog opens a log with OpenRegular, and on this machine's / also refuses a log that
// is itself a symlink made by a user other than root or the one running plexform: a
// service writes its log as a file, so such a link is someone pointing plexform at
// another file (OpenRegular alone would follow it to a file of that same user's).
func (r Root) openLog(path string) (*os.File, error) {
	if r.dir == "" {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if uid, _ := ownerOf(fi); uid != 0 && uid != os.Geteuid() {
				return nil, fmt.Errorf("%s is a symlink that belongs to %s; plexform reads a log only as the file its service writes, not through a link another user made. Remove the link", path, DescribeUser(uid))
			}
		}
	}
	return r.OpenRegular(path)
}
