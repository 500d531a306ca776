package state

import (
	"strings"
	"testing"
	"time"
)

// FuzzManifest feeds anything to the manifest checks: they must never panic, never
// quote the input in an error, and accept only what Save itself would write.
func FuzzManifest(f *testing.F) {
	good := &Manifest{ID: "20260101T000000Z-prefs", Resource: "prefs", Kind: "xml_attributes", Target: "/srv/Preferences.xml",
		File: "20260101T000000Z-prefs.xml", UID: 999, GID: 998, Owner: "plex:plex (999:998)", Mode: "0640",
		SHA256: strings.Repeat("ab", 32), Size: 10, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Version: "dev"}
	data, _ := encodeManifest(good)
	f.Add(data)
	f.Add([]byte(`{"id":"20260101T000000Z-prefs","file":"../../etc/shadow"}`))
	f.Add([]byte(`{"mode":"4755"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeManifest(data)
		if err == nil {
			err = checkManifest(m, "20260101T000000Z-prefs")
		}
		if err != nil {
			if len(data) >= 8 && strings.Contains(err.Error(), string(data)) {
				t.Fatalf("the error quotes the input: %v", err)
			}
			return
		}
		if m.File != m.ID+"."+backupExt(m.Kind) || strings.ContainsAny(m.File, `/\`) {
			t.Fatalf("accepted a copy name that is not ours: %q", m.File)
		}
		if mode, err := parseMode(m.Mode); err != nil || mode > 0o777 {
			t.Fatalf("accepted mode %q", m.Mode)
		}
		if !printable(m.Target) {
			t.Fatalf("accepted a target that is not printable")
		}
	})
}
