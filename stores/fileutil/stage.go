package fileutil

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/plexform/plexform/stores"
)

var _ stores.Staged = (*Pending)(nil)

// Pending is a file's new content, written and synced beside it under a temp name with
// the owner, group and mode it must end with, waiting for one rename. It is how a write
// is prepared before Plex stops, so that only the rename happens while it is down.
//
// The directory it lives in was resolved once, when it was staged (inside the root, see
// Root): the rename happens there, whatever is renamed or planted on the way meanwhile.
type Pending struct {
	dir     stagingDir // the directory holding the target and the temp file
	tmpName string     // the temp file's name in dir
	name    string     // the target's name in dir
	path    string     // the target as the caller named it, for messages
	data    []byte
	done    bool
}

// Stage writes data beside path on this machine's own file system (see Root.Stage).
func Stage(path string, data []byte, meta stores.FileMeta) (*Pending, error) {
	return Root{}.Stage(path, data, meta)
}

// Stage writes data beside the file at path (the file a symlinked path points at, in
// that file's own directory, inside the root) and syncs it, ready for Commit. Creating
// the temp file is also the real test that the directory can be written: a read-only
// file system fails here, before any service is stopped.
func (r Root) Stage(path string, data []byte, meta stores.FileMeta) (*Pending, error) {
	return r.stage(path, data, meta)
}

// WriteAtomic replaces the file at path with data so that a reader sees either the old
// file or the new one, never a mix, and a crash leaves no half-written file in its
// place. The new file gets meta's owner, group and mode. A symlinked file (common on NAS
// and in containers) stays a symlink: the file it points at inside the root is replaced,
// by a temp file made and renamed in that file's own directory.
func (r Root) WriteAtomic(path string, data []byte, meta stores.FileMeta) error {
	p, err := r.Stage(path, data, meta)
	if err != nil {
		return err
	}
	if err := p.rename(); err != nil {
		return err
	}
	return p.Durable()
}

// writeTemp creates a new temp file beside name in dir (newTempName's, never one that is
// there already), writes data into it with meta's owner, group and mode, syncs and closes
// it, and returns its name. On failure it leaves nothing behind. path names the target
// in messages.
func writeTemp(dir stagingDir, name, path string, data []byte, meta stores.FileMeta) (string, error) {
	tmpName, err := newTempName(name)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := dir.create(tmpName)
	if err != nil {
		return "", fmt.Errorf("write %s: create a temp file beside it: %w", path, err)
	}
	if err := fillTemp(tmp, path, data, meta); err != nil {
		tmp.Close()
		dir.remove(tmpName)
		return "", err
	}
	return tmpName, nil
}

// fillTemp writes data into the new temp file tmp with meta's owner, group and mode,
// syncs it, and closes it; the caller removes it on error.
func fillTemp(tmp *os.File, path string, data []byte, meta stores.FileMeta) error {
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := chownIfNeeded(tmp, meta); err != nil {
		return fmt.Errorf("write %s: keep owner %s: %w", path, DescribeOwner(meta.UID, meta.GID), err)
	}
	// Chmod after chown: chown clears setuid/setgid bits.
	if err := tmp.Chmod(fileMode(meta.Mode)); err != nil {
		return fmt.Errorf("write %s: keep mode %04o: %w", path, meta.Mode, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// TempPrefix is the name every temp file of ours beside base starts with, so a run cut
// short can find what it left.
func TempPrefix(base string) string { return "." + base + ".plexform-" }

// tempSuffixBytes is how many random bytes a temp name carries, written as hex: 2^48
// names, so an O_EXCL create meets a name in use only when one was planted.
const tempSuffixBytes = 6

// newTempName is the name of a new temp file beside base: TempPrefix(base) and
// 2*tempSuffixBytes lowercase hex digits. It is the only place temp names are made, and
// IsTempName the only place they are recognised, so the tidy of a run cut short finds
// exactly what Stage makes.
func newTempName(base string) (string, error) {
	var suffix [tempSuffixBytes]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return "", err
	}
	return TempPrefix(base) + hex.EncodeToString(suffix[:]), nil
}

// IsTempName tells whether name is a temp file newTempName makes beside base.
func IsTempName(base, name string) bool {
	rest, ok := strings.CutPrefix(name, TempPrefix(base))
	if !ok || len(rest) != 2*tempSuffixBytes {
		return false
	}
	for _, c := range []byte(rest) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Temp is the staged file's path.
func (p *Pending) Temp() string { return p.dir.join(p.tmpName) }

// rename puts the staged file in place; the rename is atomic but not yet durable.
func (p *Pending) rename() error {
	if p.done {
		return errors.New("internal error: a staged write was committed twice")
	}
	p.done = true
	if err := p.dir.rename(p.tmpName, p.name); err != nil {
		p.dir.remove(p.tmpName)
		p.dir.close()
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// Durable waits until the rename is on disk: the directory entry must be synced too.
// It lets go of the directory, which was held open since Stage.
func (p *Pending) Durable() error {
	defer p.dir.close()
	if err := p.dir.sync(); err != nil {
		return fmt.Errorf("sync the directory of %s: %w", p.path, err)
	}
	return nil
}

// Commit renames the staged file into place, then checks by comparing bytes (never
// by parsing) that the file holds exactly what was staged. Durable, called later,
// makes the rename survive a power cut.
func (p *Pending) Commit(context.Context) error {
	if err := p.rename(); err != nil {
		return err
	}
	f, err := p.dir.openRegular(p.name, p.path)
	if err != nil {
		return fmt.Errorf("check %s after the write: %w", p.path, err)
	}
	defer f.Close()
	same, err := sameContent(f, p.path, p.data)
	if err != nil {
		return fmt.Errorf("check %s after the write: %w", p.path, err)
	}
	if !same {
		return fmt.Errorf("%s does not hold what was written: something else wrote it at the same time", p.path)
	}
	return nil
}

// Discard removes the staged file; the target was never touched.
func (p *Pending) Discard() error {
	if p.done {
		return nil
	}
	p.done = true
	defer p.dir.close()
	if err := p.dir.remove(p.tmpName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", p.Temp(), err)
	}
	return nil
}

// SameContent reports whether the regular file at path on this machine's own file system
// holds exactly want (see Root.SameContent).
func SameContent(path string, want []byte) (bool, error) { return Root{}.SameContent(path, want) }

// SameContent reports whether the regular file at path holds exactly want. It compares
// in chunks, so checking a large file costs no second copy of it in memory. A missing
// file holds nothing, which equals an empty want only when want is nil.
func (r Root) SameContent(path string, want []byte) (bool, error) {
	f, err := r.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return want == nil, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	return sameContent(f, path, want)
}

func sameContent(f *os.File, path string, want []byte) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	if want == nil || fi.Size() != int64(len(want)) {
		return false, nil
	}
	buf := make([]byte, 64<<10)
	for off := 0; ; {
		n, err := f.Read(buf)
		if n > 0 {
			if off+n > len(want) || !bytes.Equal(buf[:n], want[off:off+n]) {
				return false, nil
			}
			off += n
		}
		if err == io.EOF {
			return off == len(want), nil
		}
		if err != nil {
			return false, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// ReadWithMeta reads a regular file on this machine's own file system (see
// Root.ReadWithMeta).
func ReadWithMeta(path string) (data []byte, meta stores.FileMeta, exists bool, err error) {
	return Root{}.ReadWithMeta(path)
}

// ReadWithMeta reads a regular file of at most MaxFileSize bytes and the owner, group
// and mode it had while being read, from one open file, so the bytes and the metadata
// describe the same file. exists is false (and err nil) when there is no file.
func (r Root) ReadWithMeta(path string) (data []byte, meta stores.FileMeta, exists bool, err error) {
	data, meta, err = r.ReadFile(path, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, stores.FileMeta{Path: path}, false, nil
	}
	if err != nil {
		return nil, stores.FileMeta{}, false, err
	}
	return data, meta, true, nil
}

// OpenRegular opens the regular file at path on this machine's own file system (see
// Root.OpenRegular).
func OpenRegular(path string) (*os.File, error) { return Root{}.OpenRegular(path) }

// ReadFile reads the regular file at path, refusing one larger than limit bytes, and
// returns its bytes with the owner, group and mode of the same open file. Anything that
// is not a regular file (a FIFO, a device, a socket, a directory) is refused before it
// is read, and it is opened non-blocking, so a FIFO cannot hang plexform. A missing
// file is an error that errors.Is fs.ErrNotExist.
func (r Root) ReadFile(path string, limit int64) ([]byte, stores.FileMeta, error) {
	f, err := r.OpenRegular(path)
	if err != nil {
		return nil, stores.FileMeta{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, stores.FileMeta{}, fmt.Errorf("read %s: %w", path, err)
	}
	if fi.Size() > limit {
		return nil, stores.FileMeta{}, errTooLarge(path, fi.Size(), limit)
	}
	data, err := readAll(io.LimitReader(f, limit+1), fi.Size())
	if err != nil {
		return nil, stores.FileMeta{}, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, stores.FileMeta{}, errTooLarge(path, int64(len(data)), limit)
	}
	uid, gid := ownerOf(fi)
	return data, stores.FileMeta{Path: path, UID: uid, GID: gid, Mode: uint32(permBits(fi.Mode()))}, nil
}

// readAll reads r to its end into one buffer sized for the file up front: a 50 MB file
// is then one allocation, not the dozens io.ReadAll's doubling would take.
func readAll(r io.Reader, size int64) ([]byte, error) {
	data := make([]byte, 0, size+1) // +1: the read that finds EOF needs room
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // the file grew while being read
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
