package regfile

import (
	"fmt"
	"strings"
)

// Root hives, spelled as regedit spells them in a .reg file.
const (
	HKCU = "HKEY_CURRENT_USER"
	HKLM = "HKEY_LOCAL_MACHINE"
	HKU  = "HKEY_USERS"
)

// rootAliases maps every accepted spelling of a root (upper-cased) to its long name.
// HKCR and HKCC are left out on purpose: Plex never keeps settings there, and refusing
// them catches typos before they reach a live registry.
var rootAliases = map[string]string{
	"HKCU": HKCU, HKCU: HKCU,
	"HKLM": HKLM, HKLM: HKLM,
	"HKU": HKU, HKU: HKU,
}

// KeyPath is a registry key split into its root hive and the path below it.
type KeyPath struct {
	Root string // HKCU, HKLM or HKU (the long names above)
	Sub  string // below the root, components joined by `\`; may be empty
}

// String spells the key as regedit writes it between brackets.
func (k KeyPath) String() string {
	if k.Sub == "" {
		return k.Root
	}
	return k.Root + `\` + k.Sub
}

// Equal compares two keys the way Windows does: case-insensitively.
func (k KeyPath) Equal(o KeyPath) bool {
	return k.Root == o.Root && strings.EqualFold(k.Sub, o.Sub)
}

// ForUser moves an HKCU key into the hive of the account with the given SID
// (HKU\<SID>\...), which is where a service account's HKCU really lives.
func (k KeyPath) ForUser(sid string) (KeyPath, error) {
	if k.Root != HKCU {
		return KeyPath{}, fmt.Errorf("key %s: user: applies only to HKCU keys (it selects whose HKCU)", k)
	}
	if sid == "" || strings.ContainsAny(sid, `\`) {
		return KeyPath{}, fmt.Errorf("key %s: %q is not a SID", k, sid)
	}
	if k.Sub == "" {
		return KeyPath{Root: HKU, Sub: sid}, nil
	}
	return KeyPath{Root: HKU, Sub: sid + `\` + k.Sub}, nil
}

// ParseKeyPath accepts a key as people write it: `HKCU\Software\...`,
// `HKEY_CURRENT_USER\Software\...`, PowerShell's `HKCU:\Software\...` and
// `Registry::HKEY_CURRENT_USER\...`, with roots HKCU, HKLM and HKU (HKU\<SID>\... for
// another user's hive). Root spelling is case-insensitive; a trailing `\` is dropped.
func ParseKeyPath(s string) (KeyPath, error) {
	orig := s
	s = strings.TrimSpace(s)
	if i := strings.Index(strings.ToUpper(s), "REGISTRY::"); i >= 0 {
		s = s[i+len("REGISTRY::"):]
	}
	root, sub, _ := strings.Cut(s, `\`)
	root = strings.TrimSuffix(root, ":") // PowerShell drive: HKCU:
	long, ok := rootAliases[strings.ToUpper(root)]
	if !ok {
		return KeyPath{}, fmt.Errorf("registry key %q: root %q is not one of HKCU, HKLM, HKU (or HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS)", orig, root)
	}
	sub = strings.TrimRight(sub, `\`)
	if sub != "" {
		for _, part := range strings.Split(sub, `\`) {
			if part == "" {
				return KeyPath{}, fmt.Errorf("registry key %q: empty component (doubled backslash?)", orig)
			}
		}
	}
	if strings.ContainsAny(sub, "\r\n\x00") {
		return KeyPath{}, fmt.Errorf("registry key %q: contains a line break or NUL", orig)
	}
	return KeyPath{Root: long, Sub: sub}, nil
}
