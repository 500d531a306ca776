package registry

import (
	"testing"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/storetest"
)

// conformanceValues are values of every type the registry store writes.
var conformanceValues = map[string]stores.Value{
	"FriendlyName":     {Text: "den & <kitchen>"},
	"LocalAppDataPath": {Type: TypeExpandSZ, Text: `%LOCALAPPDATA%\Plex`},
	"AcceptedEULA":     {Type: TypeDWord, Text: "1"},
	"Big":              {Type: TypeQWord, Text: "12345678901"},
	"Lines":            {Type: TypeMultiSZ, Text: "one\ntwo"},
	"Blob":             {Type: TypeBinary, Text: "00ff10"},
}

// conformanceHarness fills the registry-wide parts of the suite's harness: the registry
// has no file to malform, and its names ignore case.
func conformanceHarness() storetest.Harness {
	return storetest.Harness{
		Values:    conformanceValues,
		Set:       stores.Value{Type: TypeDWord, Text: "42"},
		Invalid:   stores.Edit{Name: "Bad", Value: stores.Value{Type: TypeDWord, Text: "not a number"}},
		FoldsCase: true,
	}
}

// TestConformance runs the suite on the store's logic over an in-memory key (the live
// registry runs it under Wine: conformance_windows_test.go). Break makes one value
// refuse writes, so a failed write must put back the values it already changed.
func TestConformance(t *testing.T) {
	h := conformanceHarness()
	h.New = func(t *testing.T, values map[string]stores.Value) stores.Store {
		raws := map[string]raw{}
		for name, v := range values {
			typ, data, err := EncodeValue(v)
			if err != nil {
				t.Fatalf("fixture value %s: %v", name, err)
			}
			raws[name] = raw{typ, data}
		}
		s, _ := newMem(t, raws)
		return s
	}
	h.Missing = func(t *testing.T) stores.Store {
		s, _ := newMem(t, nil)
		return s
	}
	h.Break = func(t *testing.T, s stores.Store) bool {
		s.(*store).b.(*memKey).failOn = "PlexOnlineMail"
		return true
	}
	storetest.Run(t, h)
}
