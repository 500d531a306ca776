package plist

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/plexform/plexform/internal/parselimit"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/storetest"
)

const hostileSecret = "hostile-secret-Vb4Tn8"

// bplistOf assembles a binary plist from encoded objects (tag and body, references
// refSize bytes wide); object top is the root.
func bplistOf(objects [][]byte, refSize int, top uint64) []byte {
	out := []byte("bplist00")
	offsets := make([]uint64, len(objects))
	for i, o := range objects {
		offsets[i] = uint64(len(out))
		out = append(out, o...)
	}
	table := uint64(len(out))
	offSize := 8
	for _, n := range []int{1, 2, 4} {
		if table < 1<<(8*n) {
			offSize = n
			break
		}
	}
	for _, off := range offsets {
		out = appendUint(out, off, offSize)
	}
	trailer := make([]byte, 32)
	trailer[6], trailer[7] = byte(offSize), byte(refSize)
	binary.BigEndian.PutUint64(trailer[8:], uint64(len(objects)))
	binary.BigEndian.PutUint64(trailer[16:], top)
	binary.BigEndian.PutUint64(trailer[24:], table)
	return append(out, trailer...)
}

func appendUint(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// bArray encodes an array of the given references.
func bArray(refSize int, refs ...uint64) []byte {
	var o []byte
	if len(refs) < 15 {
		o = []byte{0xA0 | byte(len(refs))}
	} else {
		o = appendUint([]byte{0xAF, 0x13}, uint64(len(refs)), 8)
	}
	for _, r := range refs {
		o = appendUint(o, r, refSize)
	}
	return o
}

func bString(s string) []byte { return append([]byte{0x50 | byte(len(s))}, s...) }

// sharedBomb is a chain of levels arrays, each holding fanout references to the next:
// a few hundred bytes that expand to fanout^levels values.
func sharedBomb(levels, fanout int) []byte {
	objects := make([][]byte, 0, levels+1)
	for i := range levels {
		refs := make([]uint64, fanout)
		for k := range refs {
			refs[k] = uint64(i + 1)
		}
		objects = append(objects, bArray(1, refs...))
	}
	return bplistOf(append(objects, bString("x")), 1, 0)
}

// bigShared is one 1 KiB string referred to count times from the root array.
func bigShared(count int) []byte {
	refs := make([]uint64, count)
	for i := range refs {
		refs[i] = 1
	}
	big := append([]byte{0x5F, 0x11, 0x04, 0x00}, strings.Repeat("y", 1024)...)
	return bplistOf([][]byte{bArray(4, refs...), big}, 4, 0)
}

// deepBinary is depth arrays, each holding the next.
func deepBinary(depth int) []byte {
	objects := make([][]byte, depth)
	for i := range depth - 1 {
		objects[i] = bArray(4, uint64(i+1))
	}
	objects[depth-1] = bArray(4)
	return bplistOf(objects, 4, 0)
}

// dictOver puts a dictionary {A: root} over the root of deepBinary's output, whose
// objects all refer by 4-byte references and whose root is object 0.
func dictOver(data []byte) []byte {
	n := binary.BigEndian.Uint64(data[len(data)-24:])
	objects := make([][]byte, 0, n+2)
	for i := range n - 1 {
		objects = append(objects, bArray(4, i+1))
	}
	objects = append(objects, bArray(4), bString("A"))
	dict := appendUint(appendUint([]byte{0xD1}, n, 4), 0, 4)
	return bplistOf(append(objects, dict), 4, n+1)
}

func deepXML(depth int) []byte {
	return []byte(`<?xml version="1.0"?><plist version="1.0">` + strings.Repeat("<array>", depth) + strings.Repeat("</array>", depth) + `</plist>`)
}

// hostilePlists are files made to crash, hang or exhaust a reader. Each must be refused
// with stores.ErrMalformed, quickly. limit says the refusal is for a parse limit.
var hostilePlists = map[string]struct {
	data  []byte
	limit bool
}{
	"binary: shared references, 10^20 values": {sharedBomb(20, 10), true},
	"binary: one string shared 100k times":    {bigShared(100_000), true},
	"binary: a million levels deep":           {deepBinary(1_000_000), true},
	"binary: one level too deep":              {deepBinary(parselimit.MaxDepth + 1), true},
	"binary: an array that contains itself":   {bplistOf([][]byte{bArray(1, 0)}, 1, 0), false},
	"binary: a cycle through three arrays":    {bplistOf([][]byte{bArray(1, 1), bArray(1, 2), bArray(1, 0)}, 1, 0), false},
	"binary: more objects than the limit":     {bplistOf(make([][]byte, parselimit.MaxExpandedObjects+1), 4, 0), true},
	"binary: a reference past the table":      {bplistOf([][]byte{bArray(1, 7)}, 1, 0), false},
	"binary: a string longer than the file":   {bplistOf([][]byte{{0x5F, 0x13, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}}, 1, 0), false},
	"XML: a million levels deep":              {deepXML(1_000_000), true},
	"XML: one level too deep":                 {deepXML(parselimit.MaxDepth + 1), true},
	"XML: a million unclosed levels":          {[]byte(`<plist>` + strings.Repeat("<dict><key>k</key>", 1_000_000)), true},
	"text: a million arrays deep":             {[]byte(strings.Repeat("(", 1_000_000)), true},
	"text: a million dictionaries deep":       {[]byte(strings.Repeat("{a=", 1_000_000)), true},
	"text: closers hidden in a string":        {[]byte(`(` + strings.Repeat(`"))))))))",(`, 1000)), true},
	"text: comments and data between levels":  {[]byte(strings.Repeat("( /* ) */ <00ff> // )\n <[AA==]> <*I1>,", 1000)), true},
	"text: unquoted slashes are not comments": {[]byte(strings.Repeat("(a//", 1000)), true},
	"text UTF-16: a million levels deep":      {utf16LE(strings.Repeat("(", 1_000_000)), true},
	"XML: secret in an unknown element":       {[]byte(`<plist><dict><key>A</key><` + hostileSecret + `/></dict></plist>`), false},
	"XML: secret in an integer":               {[]byte(`<plist><dict><key>A</key><integer>` + hostileSecret + `</integer></dict></plist>`), false},
	"XML: secret in a date":                   {[]byte(`<plist><dict><key>A</key><date>` + hostileSecret + `</date></dict></plist>`), false},
	"XML: secret in a bad entity":             {[]byte(`<plist><dict><key>A</key><string>&` + hostileSecret + ` x</string></dict></plist>`), false},
	"XML: secret in a mismatched end tag":     {[]byte(`<plist><dict><key>A</key><string>x</` + hostileSecret + `></dict></plist>`), false},
	"text: secret after a bad hex digit":      {[]byte(`{ A = <0` + hostileSecret + `>; }`), false},
	"text: secret in a GNUstep value":         {[]byte(`{ A = <*I` + hostileSecret + `>; }`), false},
	"text: secret in an unknown GNUstep type": {[]byte(`{ A = <*` + hostileSecret + `>; }`), false},
}

func utf16LE(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

func TestHostilePlistsAreRefused(t *testing.T) {
	for name, tc := range hostilePlists {
		t.Run(name, func(t *testing.T) {
			var err error
			storetest.Bounded(t, "decode", func() { _, err = decode(tc.data) })
			if !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("err = %v; want ErrMalformed", err)
			}
			if strings.Contains(err.Error(), hostileSecret) || strings.Contains(err.Error(), hostileSecret[:8]) {
				t.Errorf("the error quotes the file: %v", err)
			}
			if tc.limit != errors.Is(err, parselimit.ErrLimit) {
				t.Errorf("err = %v; over a parse limit: %v, want %v", err, !tc.limit, tc.limit)
			}
		})
	}
}

// TestLimitsAdmitRealFiles: the fixtures, and files at the limits, still parse.
func TestLimitsAdmitRealFiles(t *testing.T) {
	for name, data := range map[string][]byte{
		"binary at the depth limit": dictOver(deepBinary(parselimit.MaxDepth - 1)),
		"XML at the depth limit": []byte(`<plist><dict><key>A</key>` + strings.Repeat("<array>", parselimit.MaxDepth-2) +
			strings.Repeat("</array>", parselimit.MaxDepth-2) + `</dict></plist>`),
		"text at the depth limit": []byte("{ A = " + strings.Repeat("(", parselimit.MaxDepth-1) + strings.Repeat(")", parselimit.MaxDepth-1) + "; }"),
		"binary sharing within the limit": bplistOf([][]byte{
			{0xD1, 1, 2}, bString("A"), bArray(1, 3, 3, 3, 3, 3, 3, 3, 3), bArray(1, 4, 4, 4, 4, 4, 4, 4, 4), bString("shared")}, 1, 0),
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := decode(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if _, ok := doc.root["A"]; !ok {
				t.Errorf("key A missing: %v", doc.root)
			}
		})
	}
}
