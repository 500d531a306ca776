package state

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// ErrUntrustedDir marks a backups directory that plexform will not use: another user
// owns it, others can write it, or it is reached through a symlink that someone other
// than root or this user could have made.
var ErrUntrustedDir = errors.New("untrusted directory")

// A trustedDir is an open directory that plexform trusts the way ssh trusts ~/.ssh:
// this user made it (or owns it), no one else can write it, and it was not reached
// through a symlink someone else planted. Everything inside it is named by a plain
// name and opened relative to the open directory, never following a symlink, so a
// path swapped after the checks cannot redirect a write. The platform files give
// openTrustedDir and the primitives (open, lstat, remove, rename, names, sync, close).

// errTooLarge: a file is larger than the bound its reader set.
var errTooLarge = errors.New("larger than expected")

// checkName refuses anything but a plain name inside the directory.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return fmt.Errorf("%q is not a plain file name", name)
	}
	return nil
}

// readFile reads a regular file of the directory, at most max bytes: a larger file,
// a symlink, a FIFO or a device is an error, never a hang or an unbounded read.
func (d *trustedDir) readFile(name string, max int64) ([]byte, error) {
	return d.readFileChecked(name, max, nil)
}

// readStateFile is readFile for a state file (the journal, claims-used.json): what it
// says decides what recover restores or whether a claim runs, so it must pass the
// checks the directory passed. It is this user's and no one else may read or write it
// (stateFileProblem); one that is not is refused, not believed.
func (d *trustedDir) readStateFile(name string, max int64) ([]byte, error) {
	return d.readFileChecked(name, max, func(fi fs.FileInfo) error {
		if problem := d.stateFileProblem(fi, d.join(name)); problem != "" {
			return fmt.Errorf("%s: %w", problem, ErrUntrustedDir)
		}
		return nil
	})
}

// readFileChecked is readFile with a check of the open file before any byte is read.
func (d *trustedDir) readFileChecked(name string, max int64, check func(fs.FileInfo) error) ([]byte, error) {
	f, err := d.open(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", d.join(name), fi.Mode().Type())
	}
	if check != nil {
		if err := check(fi); err != nil {
			return nil, err
		}
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, more than %d: %w", d.join(name), fi.Size(), max, errTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s grew past %d bytes while being read: %w", d.join(name), max, errTooLarge)
	}
	return data, nil
}

// create makes a new 0600 file holding data, synced unless sync is false (for records
// whose loss in a power cut costs nothing, or that are synced later: Dir.Batch). It
// fails if the name exists in any form (a file, a symlink, a dangling symlink), so a
// name guessed and planted in advance is never written through.
func (d *trustedDir) create(name string, data []byte, sync bool) error {
	f, err := d.open(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		d.remove(name)
		return fmt.Errorf("write %s: %w", d.join(name), withoutPath(err))
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			d.remove(name)
			return fmt.Errorf("sync %s: %w", d.join(name), err)
		}
	}
	if err := f.Close(); err != nil {
		d.remove(name)
		return fmt.Errorf("write %s: %w", d.join(name), withoutPath(err))
	}
	return nil
}

// withoutPath is err without the *fs.PathError that names the file again ("write X:
// write X: no space left on device"); errors.Is still finds the errno.
func withoutPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// tempPrefix starts the name of every temp file plexform makes inside a trusted dir;
// a leftover (a kill mid-write) is recognised and removed by Tidy.
const tempPrefix = ".plexform-tmp-"

// writeAtomic replaces name with data: a fresh temp file (O_EXCL), synced, renamed
// over name. The rename replaces whatever entry name is, a planted symlink included,
// without following it.
func (d *trustedDir) writeAtomic(name string, data []byte) error {
	return d.replace(name, data, true)
}

// replace is writeAtomic with the syncs optional: an unsynced replace is still atomic,
// but a power cut may undo it.
func (d *trustedDir) replace(name string, data []byte, sync bool) error {
	if err := checkName(name); err != nil {
		return err
	}
	tmp, err := d.createTemp(data, sync)
	if err != nil {
		return err
	}
	if err := d.rename(tmp, name); err != nil {
		d.remove(tmp)
		return fmt.Errorf("write %s: %w", d.join(name), err)
	}
	if !sync {
		return nil
	}
	return d.sync()
}

// createTemp makes a new temp file holding data and returns its name.
func (d *trustedDir) createTemp(data []byte, sync bool) (string, error) {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := tempPrefix + hex.EncodeToString(rnd[:])
	if err := d.create(tmp, data, sync); err != nil {
		return "", err
	}
	return tmp, nil
}

// syncFile waits until the disk holds the file name's content.
func (d *trustedDir) syncFile(name string) error {
	f, err := d.open(name, os.O_WRONLY, 0) // Windows flushes only a handle open for writing
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", d.join(name), err)
	}
	return nil
}

// exists reports whether the directory holds an entry of that name, of any type.
func (d *trustedDir) exists(name string) (bool, error) {
	_, err := d.lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
