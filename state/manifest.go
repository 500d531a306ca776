package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/plexform/plexform/plan"
)

// A manifest read back from the backups directory is untrusted input: someone may have
// planted it, or it may be damaged. It is bounded in size, decoded strictly (no unknown
// fields, nothing after the object) and every field is range-checked before anything
// acts on it; one that fails is skipped and reported, never used.
const (
	maxManifestSize = 64 << 10
	// maxBackupSize bounds a backup copy; Plex's settings are kilobytes, and a 50 MB
	// Preferences.xml still fits many times over.
	maxBackupSize  = 1 << 30
	maxResourceLen = plan.MaxNameLen
	maxTextLen     = 4096
	idTimeLayout   = "20060102T150405Z"
)

// backupExt is the native format a store kind is backed up in (its BackupExt), ""
// for a kind that is no concrete store kind.
func backupExt(kind string) string {
	if k := plan.KindOf(kind); k != nil && k.Role == plan.RoleStore {
		return k.BackupExt
	}
	return ""
}

// isBackupExt reports whether a backup copy's name may end in ext: a store kind's BackupExt.
func isBackupExt(ext string) bool { return plan.IsBackupExt(ext) }

// isResourceName is the plan's rule for resource names, [a-z0-9_-]+, written out so
// that no regexp is compiled at start-up.
func isResourceName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isBackupID matches the ids Save makes: 20060102T150405Z-<resource>[-N].
func isBackupID(s string) bool {
	if len(s) < len(idTimeLayout)+2 || len(s) > len(idTimeLayout)+1+maxResourceLen+8 {
		return false
	}
	for i := 0; i < len(idTimeLayout); i++ {
		c, want := s[i], idTimeLayout[i]
		if want == 'T' || want == 'Z' {
			if c != want {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return s[len(idTimeLayout)] == '-' && isResourceName(s[len(idTimeLayout)+1:])
}

func isManifestName(name string) bool {
	id, ok := strings.CutSuffix(name, manifestExt)
	return ok && isBackupID(id)
}

func isCopyName(name string) bool {
	i := strings.LastIndexByte(name, '.')
	return i > 0 && isBackupExt(name[i+1:]) && isBackupID(name[:i])
}

func copyID(name string) string { return name[:strings.LastIndexByte(name, '.')] }

func encodeManifest(m *Manifest) ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// decodeManifest decodes strictly: one JSON object of Manifest's fields and nothing
// else. Errors name the offset, never the content, which may be anything.
func decodeManifest(data []byte) (*Manifest, error) {
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("larger than %d bytes", maxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the manifest at byte %d", dec.InputOffset())
	}
	return &m, nil
}

// jsonProblem says what is wrong without quoting the input.
func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("not valid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("field %q has the wrong type at byte %d", typ.Field, typ.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return errors.New("a field plexform does not write")
	}
	return errors.New("not a manifest object")
}

// checkManifest checks a decoded manifest against the file it came from (<id>.json)
// and against what Save writes.
func checkManifest(m *Manifest, id string) error {
	if m.ID != id {
		return errors.New("its id is not its file name")
	}
	if !isBackupID(m.ID) || !strings.HasPrefix(m.ID[len(idTimeLayout)+1:], m.Resource) {
		return errors.New("its id is not of the form plexform gives")
	}
	ext := backupExt(m.Kind)
	if m.File != m.ID+"."+ext {
		return fmt.Errorf("its copy must be named %s.<%s>, in the same directory", m.ID, ext)
	}
	if m.Time.IsZero() {
		return errors.New("no time")
	}
	return checkFields(m)
}

// checkFields range-checks what Save records, so Save never writes a manifest that
// checkManifest would refuse.
func checkFields(m *Manifest) error {
	if !isResourceName(m.Resource) || len(m.Resource) > maxResourceLen {
		return errors.New("resource is not a resource name")
	}
	if backupExt(m.Kind) == "" {
		return errors.New("kind is not a store kind")
	}
	for field, s := range map[string]string{"target": m.Target, "owner": m.Owner, "plan": m.Plan, "plexform_version": m.Version} {
		if !printable(s) {
			return fmt.Errorf("%s is not printable text of at most %d bytes", field, maxTextLen)
		}
	}
	if m.Target == "" {
		return errors.New("no target")
	}
	// -1 is "no owner recorded" (Windows, the registry); uid_t and gid_t are 32 bits.
	if m.UID < -1 || m.UID > math.MaxInt32-1 || m.GID < -1 || m.GID > math.MaxInt32-1 {
		return errors.New("uid or gid out of range")
	}
	if _, err := parseMode(m.Mode); err != nil {
		return err
	}
	if len(m.SHA256) != 64 || strings.Trim(m.SHA256, "0123456789abcdef") != "" {
		return errors.New("sha256 is not 64 hex digits")
	}
	if m.Size < 0 || m.Size > maxBackupSize {
		return fmt.Errorf("size out of range (0 to %d)", maxBackupSize)
	}
	return nil
}

// parseMode reads the octal mode Save wrote: permission bits only. A setuid or setgid
// bit (never on Plex's settings) would make a restore hand out a privilege.
func parseMode(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || len(s) > 5 {
		return 0, errors.New("mode is not an octal file mode")
	}
	if v&^uint64(fs.ModePerm) != 0 {
		return 0, errors.New("mode has bits beyond rwxrwxrwx (0777)")
	}
	return uint32(v), nil
}

func printable(s string) bool {
	if len(s) > maxTextLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}
