package redact

import (
	"bytes"
	"encoding/base64"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/plist"
)

// redactPlist rewrites string values (and data under a sensitive name) at any depth. A
// binary plist gets no free-text pass: its bytes are not text, and every string in it is
// a value the walk visits.
func redactPlist(raw []byte, s *scrubber) ([]byte, error) {
	collect := func(key string, v stores.Value) (stores.Value, bool) {
		if v.Type == plist.TypeString {
			s.collect(key, v.Text)
		}
		return v, false
	}
	if _, err := plist.Rewrite(raw, collect); err != nil {
		return nil, err
	}
	out, err := plist.Rewrite(raw, func(key string, v stores.Value) (stores.Value, bool) {
		switch v.Type {
		case plist.TypeString:
			text, change := s.value(key, v.Text)
			return stores.Value{Text: text}, change
		case plist.TypeData:
			return redactData(s, key, v)
		}
		return v, false
	})
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(out, []byte("bplist")) {
		if out, err = scrubRest(out, s); err != nil {
			return nil, err
		}
	}
	keep := func(string, stores.Value) (stores.Value, bool) { return stores.Value{}, false }
	if _, err := plist.Rewrite(out, keep); err != nil {
		return nil, errUnparsable
	}
	return out, nil
}

// redactData hides a data value under a sensitive name (a key or certificate blob): it
// becomes the bytes of REDACTED-<name>, as no shape of it is worth keeping.
func redactData(s *scrubber, key string, v stores.Value) (stores.Value, bool) {
	if !Sensitive(key) || v.Text == "" {
		return v, false
	}
	p := base64.StdEncoding.EncodeToString([]byte("REDACTED-" + key))
	if p == v.Text {
		return v, false
	}
	s.count++
	s.noteName(key)
	return stores.Value{Type: plist.TypeData, Text: p}, true
}
