// Package regfile reads and writes .reg files, the format of regedit's File → Export and
// `reg export`/`reg import`. It is plain Go so backups can be made, read and tested on any
// OS; only the live registry store is Windows-only.
//
// Values are kept as raw registry data (type number and bytes), so a parse followed by an
// encode, or an export followed by a restore, is exact whatever the type.
package regfile

// Registry value types (winnt.h).
const (
	RegNone                     uint32 = 0
	RegSZ                       uint32 = 1
	RegExpandSZ                 uint32 = 2
	RegBinary                   uint32 = 3
	RegDWord                    uint32 = 4
	RegDWordBigEndian           uint32 = 5
	RegLink                     uint32 = 6
	RegMultiSZ                  uint32 = 7
	RegResourceList             uint32 = 8
	RegFullResourceDescriptor   uint32 = 9
	RegResourceRequirementsList uint32 = 10
	RegQWord                    uint32 = 11
)

// Header5 is the first line of a Unicode .reg file; Header4 that of an ANSI one.
const (
	Header5 = "Windows Registry Editor Version 5.00"
	Header4 = "REGEDIT4"
)

// File is the content of a .reg file: key sections in file order.
type File struct {
	Keys []Key
}

// Key is one `[...]` section.
type Key struct {
	// Path is the key as written between the brackets (without the `-` of a deletion).
	Path string
	// Delete is true for `[-KEY]`, which deletes the key and all its subkeys.
	Delete bool
	Values []Value
}

// Value is one line (with its continuation lines) below a key.
type Value struct {
	// Name is the value name; "" is the key's default value, written `@`.
	Name string
	// Delete is true for `"Name"=-`; Type and Data are then unused.
	Delete bool
	Type   uint32
	// Data is the raw registry data: UTF-16LE with terminator for the string types,
	// little-endian for DWORD/QWORD.
	Data []byte
}

// Section returns the sections whose path names the same key as k (case-insensitively,
// whatever root spelling the file uses), in file order.
func (f *File) Section(k KeyPath) []Key {
	var out []Key
	for _, key := range f.Keys {
		if p, err := ParseKeyPath(key.Path); err == nil && p.Equal(k) {
			out = append(out, key)
		}
	}
	return out
}
