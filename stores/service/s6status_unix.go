//go:build unix

package service

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// s6StatusSize is the size of supervise/status as s6-supervise 2.11 writes it (s6's
// S6_SVSTATUS_SIZE, packed by s6_svstatus_pack): a TAI64N stamp of the last up or
// down (12 bytes), the readiness stamp (12), the pid, 0 when down (8, big-endian), the
// wait status of the last exit (2), then one byte of flags.
const s6StatusSize = 35

// Flags of that last byte (s6_svstatus_unpack).
const (
	s6FlagPaused    = 1
	s6FlagFinishing = 2
	s6FlagWantUp    = 4
	s6FlagReady     = 8
	s6FlagsKnown    = s6FlagPaused | s6FlagFinishing | s6FlagWantUp | s6FlagReady
)

// readS6StatusFile reads the state of the service in dir as s6-svstat does, from the
// file s6-supervise keeps: supervise/lock must be locked (s6-supervise is running:
// s6_svc_ok), and supervise/status must be in the layout above. ok is false for
// anything else, another s6 version's layout included; the caller then asks s6-svstat.
// Other s6 versions wrote other layouts of the same size, so the caller trusts the file
// only after s6-svstat and it have agreed once.
func readS6StatusFile(dir string) (st s6Status, ok bool) {
	if !s6SuperviseRunning(dir) {
		return s6Status{}, false
	}
	f, err := os.Open(filepath.Join(dir, "supervise", "status"))
	if err != nil {
		return s6Status{}, false
	}
	defer f.Close()
	var buf [s6StatusSize + 1]byte // one more: a longer file is not this layout
	n, err := io.ReadFull(f, buf[:])
	if n != s6StatusSize || err != io.ErrUnexpectedEOF {
		return s6Status{}, false
	}
	return decodeS6Status(buf[:n])
}

// decodeS6Status turns the 35 bytes into what parseS6Status reads from s6-svstat's
// output: up is a pid and no "finishing", and s6-svstat says "want up" of a service
// that is down and wanted up, "want down" of one that is up and not wanted up.
func decodeS6Status(b []byte) (s6Status, bool) {
	if len(b) != s6StatusSize || b[34]&^s6FlagsKnown != 0 {
		return s6Status{}, false
	}
	pid := binary.BigEndian.Uint64(b[24:32])
	flags := b[34]
	st := s6Status{up: pid != 0 && flags&s6FlagFinishing == 0}
	wantUp := flags&s6FlagWantUp != 0
	st.wantUp = !st.up && wantUp
	st.wantDown = st.up && !wantUp
	if st.up {
		st.line = fmt.Sprintf("up (pid %d)", pid)
	} else {
		st.line = "down"
	}
	switch {
	case st.wantUp:
		st.line += ", want up"
	case st.wantDown:
		st.line += ", want down"
	}
	return st, true
}

// s6SuperviseRunning tells, as s6_svc_ok does, whether an s6-supervise holds the lock
// of dir's supervise directory.
func s6SuperviseRunning(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "supervise", "lock"))
	if err != nil {
		return false
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_RDLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &lk); err != nil {
		return false
	}
	return lk.Type != unix.F_UNLCK
}
