//go:build windows

package registry

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/registry/regfile"
)

// New returns the store for the values of key (`HKCU\...`, `HKEY_CURRENT_USER\...`,
// `HKCU:\...`; roots HKCU, HKLM, HKU). With user (an account name or a SID), an HKCU key
// is looked up in that account's hive, HKU\<SID>\..., where a service account's settings
// live.
func New(key, user string) (stores.Store, error) {
	kp, err := regfile.ParseKeyPath(key)
	if err != nil {
		return nil, err
	}
	b := &winKey{}
	if user != "" {
		sid, err := lookupSID(user)
		if err != nil {
			return nil, fmt.Errorf("registry key %s, user %q: %w", key, user, err)
		}
		if kp, err = kp.ForUser(sid); err != nil {
			return nil, err
		}
		b.hive = sid
	}
	b.root = map[string]registry.Key{
		regfile.HKCU: registry.CURRENT_USER,
		regfile.HKLM: registry.LOCAL_MACHINE,
		regfile.HKU:  registry.USERS,
	}[kp.Root]
	b.path = kp.Sub
	return &store{key: kp, b: b}, nil
}

func lookupSID(user string) (string, error) {
	if strings.HasPrefix(strings.ToUpper(user), "S-1-") {
		sid, err := windows.StringToSid(user)
		if err != nil {
			return "", fmt.Errorf("not a valid SID: %w", err)
		}
		return sid.String(), nil
	}
	sid, _, _, err := windows.LookupSID("", user)
	if err != nil {
		return "", fmt.Errorf("no such account: %w", err)
	}
	return sid.String(), nil
}

// winKey is a key of the live registry. Each call opens the key anew: plexform touches a
// handful of values once, and a long-lived handle would go stale if the key is deleted.
type winKey struct {
	root registry.Key
	path string
	hive string // the SID when the key is in another user's hive
}

func (w *winKey) readAll() (map[string]raw, bool, error) {
	k, err := registry.OpenKey(w.root, w.path, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, false, w.hiveLoaded()
	}
	if err != nil {
		return nil, false, err
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		return nil, false, fmt.Errorf("list values: %w", err)
	}
	values := make(map[string]raw, len(names))
	for _, name := range names {
		r, err := getRaw(k, name)
		if err != nil {
			return nil, false, fmt.Errorf("value %q: %w", name, err)
		}
		values[name] = r
	}
	return values, true, nil
}

// hiveLoaded turns "key not found" into an error when the whole hive of the other user is
// missing: Windows loads HKU\<SID> only while that user is logged on or runs a process,
// and "nothing to remove" would then be a lie.
func (w *winKey) hiveLoaded() error {
	if w.hive == "" {
		return nil
	}
	k, err := registry.OpenKey(registry.USERS, w.hive, registry.QUERY_VALUE)
	if err != nil {
		return fmt.Errorf("the hive HKEY_USERS\\%s is not loaded (%w): start the Plex service or log on as that user, then run plexform again", w.hive, err)
	}
	return k.Close()
}

func getRaw(k registry.Key, name string) (raw, error) {
	buf := make([]byte, 256)
	for {
		n, typ, err := k.GetValue(name, buf)
		if errors.Is(err, registry.ErrShortBuffer) || n > len(buf) {
			buf = make([]byte, n)
			continue
		}
		if err != nil {
			return raw{}, err
		}
		return raw{typ: typ, data: buf[:n]}, nil
	}
}

var procRegSetValueExW = windows.NewLazySystemDLL("advapi32.dll").NewProc("RegSetValueExW")

// set writes the exact type and bytes; x/sys/windows/registry only offers typed setters,
// which cannot put back e.g. a REG_SZ without terminator.
func (w *winKey) set(name string, r raw) error {
	k, _, err := registry.CreateKey(w.root, w.path, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	pname, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return err
	}
	// Windows (and Wine) look one character past a string's data, and if they find a NUL
	// there they store it too, "fixing" a missing terminator. A non-NUL guard after the
	// data keeps the bytes exactly as given.
	buf := append(append(make([]byte, 0, len(r.data)+2), r.data...), 0xFF, 0xFF)
	rc, _, _ := procRegSetValueExW.Call(uintptr(k), uintptr(unsafe.Pointer(pname)), 0,
		uintptr(r.typ), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(r.data)))
	if rc != 0 {
		return windows.Errno(rc)
	}
	return nil
}

func (w *winKey) remove(name string) error {
	k, err := registry.OpenKey(w.root, w.path, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return err
	}
	return nil
}

// checkWritable opens the key for writing, or, when it is missing, its nearest existing
// parent for creating subkeys.
func (w *winKey) checkWritable() error {
	if err := w.hiveLoaded(); err != nil {
		return err
	}
	path, access := w.path, uint32(registry.SET_VALUE)
	for {
		k, err := registry.OpenKey(w.root, path, access)
		if err == nil {
			return k.Close()
		}
		if !errors.Is(err, registry.ErrNotExist) || path == "" {
			return err
		}
		access = registry.CREATE_SUB_KEY
		if i := strings.LastIndexByte(path, '\\'); i >= 0 {
			path = path[:i]
		} else {
			path = ""
		}
	}
}
